#!/usr/bin/env node
// build-preview.mjs - builds the staff workspace's preview page (preview.tsx on the fakes of
// fakes.tsx) into a folder (../preview-page.mjs); to look at it by hand, serve OUT with any
// static server:
//   node test/preview-staff/build-preview.mjs OUT
import { buildPreviewPage, previewCommand } from '../preview-page.mjs';

/** Builds the staff preview into `out` (made if needed). */
export const buildStaffPreview = (out) => buildPreviewPage(new URL('./preview.tsx', import.meta.url), out, 'Staff preview');

await previewCommand(import.meta.url, buildStaffPreview);
