/*
 * zip.c - a zip writer of stored (uncompressed) entries: the http adapter's body and the export.
 * Attachments are compressed formats already (PDF, JPEG, DOCX); thread.json is small. No zip64:
 * entries and archives stay below 4 GiB (an export refuses more).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"

#define ZIP_MAX_ENTRIES 65535

struct zip_entry {
	char name[256];
	uint32_t crc, size, offset;
};

struct zip {
	FILE *f;
	uint32_t offset;
	size_t n;
	struct zip_entry *e;
	int failed;
};

static uint32_t crc32_of(const uint8_t *p, size_t len)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;

	if (table[1] == 0)
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	for (size_t i = 0; i < len; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void zip_write(struct zip *z, const void *data, size_t len)
{
	if (!z->failed && fwrite(data, 1, len, z->f) != len)
		z->failed = 1;
	z->offset += (uint32_t)len;
}

struct zip *zip_create(const char *path)
{
	struct zip *z = calloc(1, sizeof *z);

	if (z == NULL)
		return NULL;
	z->e = calloc(ZIP_MAX_ENTRIES, sizeof *z->e);
	z->f = fopen(path, "wbe");
	if (z->e == NULL || z->f == NULL) {
		if (z->f != NULL)
			fclose(z->f);
		free(z->e);
		free(z);
		return NULL;
	}
	return z;
}

int zip_add_file(struct zip *z, const char *name, const char *file)
{
	uint8_t h[30], *data = NULL;
	size_t len = 0, nlen = strlen(name);
	struct zip_entry *e;

	if (z->n == ZIP_MAX_ENTRIES || nlen >= sizeof z->e[0].name || fs_read_file(file, &data, &len) != 0)
		return z->failed = -1;
	if (len > 0xffffffffu - 1024 || (uint64_t)z->offset + len + 1024 > 0xffffffffu) {
		free(data);
		return z->failed = -1;
	}
	e = &z->e[z->n++];
	snprintf(e->name, sizeof e->name, "%s", name);
	e->crc = crc32_of(data, len);
	e->size = (uint32_t)len;
	e->offset = z->offset;
	memset(h, 0, sizeof h);
	put32le(h, 0x04034b50);
	put16(h + 4, 20);     /* version needed */
	put16(h + 6, 0x0800); /* names in UTF-8 */
	put16(h + 8, 0);      /* stored */
	put16(h + 12, 0x21);  /* 1980-01-01: the same bytes whenever it is made */
	put32le(h + 14, e->crc);
	put32le(h + 18, e->size);
	put32le(h + 22, e->size);
	put16(h + 26, (uint16_t)nlen);
	zip_write(z, h, sizeof h);
	zip_write(z, name, nlen);
	zip_write(z, data, len);
	free(data);
	return z->failed ? -1 : 0;
}

int zip_close(struct zip *z)
{
	uint32_t cd_start = z->offset;
	uint8_t h[46], end[22];
	int rc;

	for (size_t i = 0; i < z->n; i++) {
		struct zip_entry *e = &z->e[i];
		size_t nlen = strlen(e->name);

		memset(h, 0, sizeof h);
		put32le(h, 0x02014b50);
		put16(h + 4, 20);
		put16(h + 6, 20);
		put16(h + 8, 0x0800);
		put16(h + 14, 0x21);
		put32le(h + 16, e->crc);
		put32le(h + 20, e->size);
		put32le(h + 24, e->size);
		put16(h + 28, (uint16_t)nlen);
		put32le(h + 42, e->offset);
		zip_write(z, h, sizeof h);
		zip_write(z, e->name, nlen);
	}
	memset(end, 0, sizeof end);
	put32le(end, 0x06054b50);
	put16(end + 8, (uint16_t)z->n);
	put16(end + 10, (uint16_t)z->n);
	put32le(end + 12, z->offset - cd_start);
	put32le(end + 16, cd_start);
	zip_write(z, end, sizeof end);
	rc = z->failed || fflush(z->f) != 0 || fsync(fileno(z->f)) != 0 ? -1 : 0;
	if (fclose(z->f) != 0)
		rc = -1;
	free(z->e);
	free(z);
	return rc;
}

int zip_bundle(struct zip *z, const char *dir, const char *prefix)
{
	char(*paths)[128] = calloc(BUNDLE_MAX_FILES + 2, 128), name[300], file[1200];
	int n = paths ? bundle_list(dir, paths, BUNDLE_MAX_FILES + 2) : -1;

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s%s", prefix, paths[i]);
		snprintf(file, sizeof file, "%s/%s", dir, paths[i]);
		if (zip_add_file(z, name, file) != 0) {
			n = -1;
			break;
		}
	}
	free(paths);
	return n < 0 ? -1 : 0;
}
