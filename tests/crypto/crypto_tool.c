/*
 * crypto_tool.c - the helper program of the crypto tests.
 *
 *   crypto_tool vectors DIR     write the vector files of proto/vectors from the cases below
 *   crypto_tool check DIR       recompute every case of the vector files in DIR and compare
 *   crypto_tool write FILE      write objects for client-web to read (cross-implementation)
 *   crypto_tool read FILE       read and check objects that client-web wrote
 *
 * Exit status 0 when everything matched, 1 otherwise (the mismatches are printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "advice_crypto.h"
#include "crypto_tool.h"

#define DERIVATION                                                                                           \
	"every random input is rnd(i, n) = crypto_kdf_derive_from_key(n, i, \"QAvector\", seed); see "       \
	"proto/CRYPTO-FORMATS.md"

/* The literal inputs of every case, per file (seeds are 32 bytes of hex). */
static const char *const vector_inputs[] = {
	"anchors",
	"[{\"name\":\"pwhash argon2id13\",\"op\":\"pwhash\",\"password\":\"correct horse battery staple\","
	"\"salt\":\"07070707070707070707070707070707\",\"opslimit\":3,\"memlimit\":67108864},"
	"{\"name\":\"kdf id 42\",\"op\":\"kdf\",\"subkey_id\":42,\"context\":\"thread__\","
	"\"key\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"},"
	"{\"name\":\"ed25519 seed 09\",\"op\":\"sign\",\"message\":\"hello worker answer\","
	"\"seed\":\"0909090909090909090909090909090909090909090909090909090909090909\"},"
	"{\"name\":\"xchacha20poly1305\",\"op\":\"aead\",\"message\":\"msg body\",\"ad\":\"AD:v1|thread\","
	"\"key\":\"0303030303030303030303030303030303030303030303030303030303030303\","
	"\"nonce\":\"040404040404040404040404040404040404040404040404\"}]",
	"keys",
	"[{\"name\":\"keys "
	"1\",\"seed\":\"0101010101010101010101010101010101010101010101010101010101010101\"},"
	"{\"name\":\"keys "
	"2\",\"seed\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\"}]",
	"seal",
	"[{\"name\":\"seal "
	"1\",\"seed\":\"1111111111111111111111111111111111111111111111111111111111111111\"}]",
	"bundle",
	"[{\"name\":\"bundle "
	"1\",\"seed\":\"2222222222222222222222222222222222222222222222222222222222222222\","
	"\"password\":\"correct horse battery "
	"staple\",\"bundle_version\":1,\"opslimit\":2,\"memlimit\":67108864},"
	"{\"name\":\"bundle "
	"utf-8\",\"seed\":\"2323232323232323232323232323232323232323232323232323232323232323\","
	"\"password\":\"\\u00e4iti \\u00f6ljy "
	"\\u00e5\",\"bundle_version\":7,\"opslimit\":3,\"memlimit\":67108864}]",
	"cert",
	"[{\"name\":\"cert "
	"chain\",\"seed\":\"3333333333333333333333333333333333333333333333333333333333333333\","
	"\"not_before\":1760000000000,\"not_after\":1860000000000,\"now\":1770000000000}]",
	"unit",
	"[{\"name\":\"unit "
	"rotation\",\"seed\":\"4444444444444444444444444444444444444444444444444444444444444444\","
	"\"members\":3,\"created_at\":1765000000000}]",
	"wrap",
	"[{\"name\":\"thread key "
	"wrap\",\"seed\":\"5555555555555555555555555555555555555555555555555555555555555555\","
	"\"kind\":1,\"epoch\":0},"
	"{\"name\":\"unit seed "
	"wrap\",\"seed\":\"5656565656565656565656565656565656565656565656565656565656565656\","
	"\"kind\":2,\"epoch\":3}]",
	"envelope",
	"[{\"name\":\"empty\",\"seed\":\"6666666666666666666666666666666666666666666666666666666666666666\","
	"\"text\":\"\",\"epoch\":0,\"sender_seq\":0,\"created_at\":1765000000000},"
	"{\"name\":\"text\",\"seed\":\"6767676767676767676767676767676767676767676767676767676767676767\","
	"\"text\":\"Hei, tarvitsisin apua toimeentulotuen hakemiseen. \\u00c4\\u00e4kk\\u00f6set toimivat.\","
	"\"epoch\":1,\"sender_seq\":3,\"created_at\":1765000001234},"
	"{\"name\":\"text and "
	"file\",\"seed\":\"6868686868686868686868686868686868686868686868686868686868686868\","
	"\"text\":\"Liite\",\"epoch\":2,\"sender_seq\":9,\"created_at\":1765000009999,"
	"\"file_size\":70000,\"file_media\":1}]",
	"file",
	"[{\"name\":\"empty "
	"file\",\"seed\":\"7777777777777777777777777777777777777777777777777777777777777777\","
	"\"length\":0},"
	"{\"name\":\"small "
	"file\",\"seed\":\"7878787878787878787878787878787878787878787878787878787878787878\","
	"\"length\":500},"
	"{\"name\":\"two "
	"chunks\",\"seed\":\"7979797979797979797979797979797979797979797979797979797979797979\","
	"\"length\":65546}]",
	"login",
	"[{\"name\":\"login ascii\",\"password\":\"correct horse battery staple\","
	"\"password_nfkc\":\"636f727265637420686f727365206261747465727920737461706c65\","
	"\"salt\":\"a1b2c3d4e5f60718293a4b5c6d7e8f90\",\"opslimit\":2,"
	"\"memlimit\":67108864},"
	"{\"name\":\"login composed\","
	"\"password\":\"A\\u030angstro\\u0308m ja Ma\\u0308kela\\u0308 2026\","
	"\"password_nfkc\":\"c3856e67737472c3b66d206a61204dc3a46b656cc3a42032303236\","
	"\"salt\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\",\"opslimit\":2,"
	"\"memlimit\":67108864},"
	"{\"name\":\"login compatibility forms\","
	"\"password\":\"\\ufb01ve \\uff2b\\uff2f\\uff24\\uff29 \\u2460\\u00b2 \\u212b\","
	"\"password_nfkc\":\"66697665204b4f444920313220c385\","
	"\"salt\":\"00112233445566778899aabbccddeeff\",\"opslimit\":2,"
	"\"memlimit\":67108864}]",
	"text",
	"[{\"name\":\"plain text\",\"data\":\"487976c3a4207479c3b66e74656b696ac3a42c0a6b6969746f"
	"73206176757374612e0a\"},{\"name\":\"html\",\"data\":\"3c21444f43545950452068746d6c3e0a3c"
	"68746d6c3e3c626f64793e3c7363726970743e616c6572742831293c2f7363726970743e3c2f626f"
	"64793e3c2f68746d6c3e0a\"},{\"name\":\"csv\",\"data\":\"6e696d693b73756d6d610d0a4d61696a6"
	"13b31322c35300d0a\"},{\"name\":\"json\",\"data\":\"7b2273756d6d61223a2031322e357d0a\"},{\""
	"name\":\"shell script\",\"data\":\"23212f62696e2f73680a6563686f206865690a\"},{\"name\":\"b"
	"yte order mark\",\"data\":\"efbbbf6865690a\"},{\"name\":\"delete and C1 controls\",\"data\""
	":\"617f62c28563\"},{\"name\":\"highest code point\",\"data\":\"f48fbfbf0a\"},{\"name\":\"pdf\""
	",\"data\":\"255044462d312e370a\"},{\"name\":\"empty\",\"data\":\"\"},{\"name\":\"latin-1\",\"data"
	"\":\"487976e4207479f60a\"},{\"name\":\"overlong slash\",\"data\":\"2e2ec0af\"},{\"name\":\"ove"
	"rlong three bytes\",\"data\":\"e080af\"},{\"name\":\"overlong four bytes\",\"data\":\"f08282"
	"ac\"},{\"name\":\"surrogate\",\"data\":\"61eda08062\"},{\"name\":\"surrogate pair as two seq"
	"uences\",\"data\":\"eda0bdedb880\"},{\"name\":\"above U+10FFFF\",\"data\":\"f4908080\"},{\"nam"
	"e\":\"NUL\",\"data\":\"74657874006d6f7265\"},{\"name\":\"escape\",\"data\":\"1b5b33316d726564\""
	"},{\"name\":\"cut short\",\"data\":\"616263c3\"},{\"name\":\"cut by the window\",\"data\":\"c3a"
	"4\",\"prefix_a\":4095},{\"name\":\"invalid after the window\",\"data\":\"ff\",\"prefix_a\":40"
	"96},{\"name\":\"invalid inside the window\",\"data\":\"ff\",\"prefix_a\":4095}]",
	"pad",
	"[{\"name\":\"empty\",\"size\":0},{\"name\":\"one byte\",\"size\":1},{\"name\":\"one chunk\",\"siz"
	"e\":65536},{\"name\":\"one chunk and a byte\",\"size\":65537},{\"name\":\"70000 bytes\",\"si"
	"ze\":70000},{\"name\":\"a photo\",\"size\":2345678},{\"name\":\"25 MiB\",\"size\":26214400},{"
	"\"name\":\"just above 25 MiB\",\"size\":26214401}]",
	"thread",
	thread_vector_inputs,
	"unitlog",
	"[{\"name\":\"unit log of four "
	"entries\",\"seed\":\"8888888888888888888888888888888888888888888888888888888888888888\","
	"\"at\":1765000000000,\"validity_ms\":604800000}]",
	"epoch",
	"[{\"name\":\"two "
	"epochs\",\"seed\":\"9999999999999999999999999999999999999999999999999999999999999999\","
	"\"recipients\":2,\"created_at\":1765000000000}]",
	"citizen",
	"[{\"name\":\"identity, device, recovery, approval\","
	"\"seed\":\"9191919191919191919191919191919191919191919191919191919191919191\","
	"\"created_at\":1770000000000},"
	"{\"name\":\"second identity\","
	"\"seed\":\"9292929292929292929292929292929292929292929292929292929292929292\","
	"\"created_at\":1771234567890}]",
	"keyreq",
	"[{\"name\":\"first login\","
	"\"seed\":\"1313131313131313131313131313131313131313131313131313131313131313\","
	"\"created_at\":1770000000000},"
	"{\"name\":\"another worker\","
	"\"seed\":\"1414141414141414141414141414141414141414141414141414141414141414\","
	"\"created_at\":1772345678901}]",
	"unit-text",
	"[{\"name\":\"internal note\","
	"\"seed\":\"1515151515151515151515151515151515151515151515151515151515151515\","
	"\"kind\":1,\"generation\":3,\"created\":1770000000000,"
	"\"text\":\"Asiakas soitti, lupasi toimittaa tiliotteet maanantaina. \\u00c5terkommer.\"},"
	"{\"name\":\"canned answer in Swedish\","
	"\"seed\":\"1616161616161616161616161616161616161616161616161616161616161616\","
	"\"kind\":2,\"generation\":1,\"created\":1771234567890,"
	"\"text\":\"{\\\"lang\\\":\\\"sv\\\",\\\"title\\\":\\\"Bilagor\\\",\\\"text\\\":\\\"Skicka "
	"g\\u00e4rna "
	"kontoutdragen f\\u00f6r de tre senaste m\\u00e5naderna som bilagor till det h\\u00e4r meddelandet. "
	"Om du inte kan skicka dem h\\u00e4r kan du ocks\\u00e5 bes\\u00f6ka v\\u00e5r byr\\u00e5 under "
	"\\u00f6ppettiderna; ta d\\u00e5 med ett identitetsbevis. Tack!\\\"}\"},"
	"{\"name\":\"empty note\","
	"\"seed\":\"1717171717171717171717171717171717171717171717171717171717171717\","
	"\"kind\":1,\"generation\":1,\"created\":1772000000000,\"text\":\"\"}]",
	"identity-box",
	"[{\"name\":\"bank login\",\"person_name\":\"Aino "
	"Testinen\",\"hetu\":\"010594Y9032\",\"verified_at\":1770000000000,"
	"\"generation\":1,"
	"\"seed\":\"1515151515151515151515151515151515151515151515151515151515151515\"},"
	"{\"name\":\"quotes, backslash, letters beyond ASCII\","
	"\"person_name\":\"\\u00c5sa-Lotta \\\"Lotta\\\" \\u00d6hman \\\\ "
	"M\\u00e4kel\\u00e4\",\"hetu\":\"070770-905D\","
	"\"verified_at\":1772345678901,\"generation\":7,"
	"\"seed\":\"1616161616161616161616161616161616161616161616161616161616161616\"}]",
	"consent",
	"[{\"name\":\"consent given in Finnish\","
	"\"seed\":\"1818181818181818181818181818181818181818181818181818181818181818\","
	"\"kind\":1,\"epoch\":2,\"lang\":\"fi\",\"created_at\":1770000000000,"
	"\"scope\":\"T\\u00e4m\\u00e4 keskustelu viestit ja liitteet\","
	"\"text\":\"Annan suostumukseni siihen, ett\\u00e4 t\\u00e4m\\u00e4 keskustelu liitet\\u00e4\\u00e4n "
	"asiakaskertomukseeni.\"},"
	"{\"name\":\"consent withdrawn in Swedish\","
	"\"seed\":\"1919191919191919191919191919191919191919191919191919191919191919\","
	"\"kind\":2,\"epoch\":5,\"lang\":\"sv\",\"created_at\":1771234567890,"
	"\"scope\":\"Den h\\u00e4r diskussionen\",\"text\":\"Jag \\u00e5terkallar mitt samtycke.\"}]",
	"content-v2",
	"[{\"name\":\"correction with a file\","
	"\"seed\":\"2020202020202020202020202020202020202020202020202020202020202020\","
	"\"version\":2,\"kind\":1,\"note\":\"V\\u00e4\\u00e4r\\u00e4 "
	"p\\u00e4iv\\u00e4m\\u00e4\\u00e4r\\u00e4\","
	"\"text\":\"Tapaaminen on tiistaina 3.3. klo 10.\",\"files\":[{\"size\":70000,\"media\":1}]},"
	"{\"name\":\"rights request\","
	"\"seed\":\"2121212121212121212121212121212121212121212121212121212121212121\","
	"\"version\":2,\"kind\":2,\"note\":\"\",\"ref_zero\":true,"
	"\"text\":\"Pyyd\\u00e4n oikaisemaan viestin, jossa tulotietoni ovat "
	"v\\u00e4\\u00e4rin.\",\"files\":[]},"
	"{\"name\":\"rights request naming a message\","
	"\"seed\":\"2222222222222222222222222222222222222222222222222222222222222222\","
	"\"version\":2,\"kind\":2,\"note\":\"\",\"text\":\"R\\u00e4tta uppgiften.\","
	"\"files\":[{\"size\":12,\"media\":7},{\"size\":2345678,\"media\":2}]},"
	"{\"name\":\"rights decision without text\","
	"\"seed\":\"2323232323232323232323232323232323232323232323232323232323232323\","
	"\"version\":2,\"kind\":3,\"note\":\"The entry was correct when it was "
	"made.\",\"text\":\"\",\"files\":[]},"
	"{\"name\":\"version 1 read by the same reader\","
	"\"seed\":\"2424242424242424242424242424242424242424242424242424242424242424\","
	"\"version\":1,\"text\":\"Hei!\",\"files\":[{\"size\":500,\"media\":3}]}]",
	"connector-login",
	"[{\"name\":\"connector login\","
	"\"seed\":\"2525252525252525252525252525252525252525252525252525252525252525\"}]",
	NULL,
};

static const struct vector_file *vector_find(const char *name)
{
	for (const struct vector_file *v = vector_files; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

/* Writes DIR/<name>.json for every file. */
static int vectors_write(const char *dir)
{
	char path[4096];

	for (size_t i = 0; vector_inputs[i] != NULL; i += 2) {
		const struct vector_file *v = vector_find(vector_inputs[i]);
		json_error_t err;
		json_t *in = json_loads(vector_inputs[i + 1], 0, &err), *cases = json_array(), *file, *c;
		size_t k;

		if (in == NULL || v == NULL) {
			fprintf(stderr, "vectors: bad inputs for %s: %s\n", vector_inputs[i], err.text);
			return 1;
		}
		json_array_foreach (in, k, c)
			json_array_append_new(cases, v->compute(c));
		file = json_pack("{s:s, s:i, s:s, s:o}", "construction", v->name, "format_version",
				 ADVICE_FMT_VERSION, "derivation", DERIVATION, "cases", cases);
		snprintf(path, sizeof(path), "%s/%s.json", dir, v->name);
		if (json_dump_file(file, path, JSON_INDENT(1) | JSON_ENSURE_ASCII) != 0) {
			fprintf(stderr, "vectors: cannot write %s\n", path);
			return 1;
		}
		json_decref(file);
		json_decref(in);
	}
	return 0;
}

/* Recomputes every case of DIR/<name>.json; prints and counts the mismatches. */
static int vectors_check(const char *dir)
{
	char path[4096];
	int bad = 0, n = 0;

	for (const struct vector_file *v = vector_files; v->name != NULL; v++) {
		json_error_t err;
		json_t *file, *c;
		size_t k;

		snprintf(path, sizeof(path), "%s/%s.json", dir, v->name);
		file = json_load_file(path, 0, &err);
		if (file == NULL || json_array_size(json_object_get(file, "cases")) == 0) {
			fprintf(stderr, "check: %s: %s\n", path, file == NULL ? err.text : "no cases");
			bad++;
			continue;
		}
		json_array_foreach (json_object_get(file, "cases"), k, c) {
			json_t *got = v->compute(c);

			n++;
			if (!json_equal(got, c) || json_object_get(got, "error") != NULL) {
				char *s = json_dumps(got, JSON_INDENT(1));
				fprintf(stderr, "check: %s case %zu differs; computed:\n%s\n", v->name, k, s);
				free(s);
				bad++;
			}
			json_decref(got);
		}
		json_decref(file);
	}
	printf("%d passed, %d failed\n", n - bad, bad);
	return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (advice_crypto_init() != 0 || argc != 3) {
		fprintf(stderr, "usage: crypto_tool vectors|check DIR | write|read FILE\n");
		return 2;
	}
	if (strcmp(argv[1], "vectors") == 0)
		return vectors_write(argv[2]);
	if (strcmp(argv[1], "check") == 0)
		return vectors_check(argv[2]);
	if (strcmp(argv[1], "write") == 0)
		return interop_write(argv[2]) == 0 ? 0 : 1;
	if (strcmp(argv[1], "read") == 0)
		return interop_read(argv[2]) == 0 ? 0 : 1;
	fprintf(stderr, "crypto_tool: unknown command %s\n", argv[1]);
	return 2;
}
