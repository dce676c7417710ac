#!/usr/bin/env node
// build-preview.mjs - builds the citizen views' preview page (preview.tsx on the fakes of
// fakes.tsx) into a folder (../preview-page.mjs):
//   node test/preview/build-preview.mjs OUT
import { buildPreviewPage, previewCommand } from '../preview-page.mjs';

/** Builds the preview into `out` (made if needed). */
export const buildPreview = (out) => buildPreviewPage(new URL('./preview.tsx', import.meta.url), out, 'Preview');

await previewCommand(import.meta.url, buildPreview);
