#!/usr/bin/env node
// build-preview.mjs - builds the staff login's preview page (preview.tsx) into a folder
// (../preview-page.mjs):
//   node test/preview-login/build-preview.mjs OUT
import { buildPreviewPage, previewCommand } from '../preview-page.mjs';

/** Builds the preview into `out` (made if needed). */
export const buildPreview = (out) => buildPreviewPage(new URL('./preview.tsx', import.meta.url), out, 'Staff login preview');

await previewCommand(import.meta.url, buildPreview);
