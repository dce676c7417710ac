/*
 * crypto_media.c - the real type of an attachment, by libmagic, against the allow-list of
 * media types (enum advice_media); plain text by the rule both clients share (crypto_text.c).
 * The sender checks before encrypting; the reader checks again after decrypting and shows a
 * mismatch instead of opening the file.
 */
#include <string.h>

#include <magic.h>

#include "crypto_int.h"

static const char *const media_names[ADVICE_MEDIA__COUNT] = {
	[ADVICE_MEDIA_PDF] = "application/pdf",
	[ADVICE_MEDIA_JPEG] = "image/jpeg",
	[ADVICE_MEDIA_PNG] = "image/png",
	[ADVICE_MEDIA_HEIC] = "image/heic",
	[ADVICE_MEDIA_DOCX] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	[ADVICE_MEDIA_ODT] = "application/vnd.oasis.opendocument.text",
	[ADVICE_MEDIA_TEXT] = "text/plain",
	[ADVICE_MEDIA_XLSX] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	[ADVICE_MEDIA_ODS] = "application/vnd.oasis.opendocument.spreadsheet",
	[ADVICE_MEDIA_DOC] = "application/msword",
	[ADVICE_MEDIA_TIFF] = "image/tiff",
};

/* Other names libmagic gives for allowed types. */
static const struct {
	const char *name;
	int media;
} media_aliases[] = {
	{ "image/heif", ADVICE_MEDIA_HEIC },
	{ "application/x-ole-storage", ADVICE_MEDIA_DOC },
	{ "application/CDFV2", ADVICE_MEDIA_DOC },
};

ADVICE_API const char *advice_media_name(int media)
{
	if (media <= ADVICE_MEDIA_UNKNOWN || media >= ADVICE_MEDIA__COUNT)
		return NULL;
	return media_names[media];
}

/* The allow-list entry for a libmagic MIME type, or ADVICE_MEDIA_UNKNOWN. */
static int media_from_mime(const char *mime)
{
	for (int m = 1; m < ADVICE_MEDIA__COUNT; m++)
		if (strcmp(mime, media_names[m]) == 0)
			return m;
	for (size_t i = 0; i < sizeof(media_aliases) / sizeof(media_aliases[0]); i++)
		if (strcmp(mime, media_aliases[i].name) == 0)
			return media_aliases[i].media;
	return ADVICE_MEDIA_UNKNOWN;
}

ADVICE_API int advice_media_sniff(const uint8_t *data, size_t len)
{
	magic_t m;
	const char *mime;
	int rc = ADVICE_MEDIA_UNKNOWN;

	if (data == NULL || len == 0)
		return ADVICE_MEDIA_UNKNOWN;
	m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF | MAGIC_ERROR);
	if (m == NULL)
		return -ADVICE_ERR_INTERNAL;
	if (magic_load(m, NULL) != 0) {
		magic_close(m);
		return -ADVICE_ERR_INTERNAL;
	}
	mime = magic_buffer(m, data, len);
	if (mime != NULL)
		rc = media_from_mime(mime);
	magic_close(m);
	/* Text is decided by the rule both clients share, not by libmagic's many text types
	 * (HTML, CSV, scripts, ISO-8859 text): the same bytes are text in C and in client-web. */
	if (rc == ADVICE_MEDIA_UNKNOWN || rc == ADVICE_MEDIA_TEXT)
		rc = advice__is_plain_text(data, len) ? ADVICE_MEDIA_TEXT : ADVICE_MEDIA_UNKNOWN;
	return rc;
}
