#!/usr/bin/env bash
# check_package.sh - builds the Debian package from a copy of the source (debian/rules with a
# test root key pinned in the browser app), checks that the build refuses without a key, lists
# the package and checks each file that must be in it (and some that must not), checks the
# control fields, the maintainer scripts, the run path, the pinned key and the manual pages,
# then runs lintian: any E: line fails the test, W: lines are listed.
#
#   check_package.sh SOURCE_DIR WORK_DIR VERSION ADVICECTL
#
# Needs dpkg-buildpackage, debhelper and lintian (deploy/dev/deps.sh) and client-web's
# packages (npm ci in client-web); without them it fails, saying what is missing.
set -euo pipefail

src="$1" work="$2" version="$3" advicectl="$4"
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

for tool in dpkg-buildpackage dh lintian dpkg-deb readelf git; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (deploy/dev/deps.sh installs it)" >&2; exit 1; }
done
[ -d "$src/client-web/node_modules/esbuild" ] ||
	{ echo "FAIL: client-web's packages are missing: (cd client-web && npm ci)" >&2; exit 1; }

git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "FAIL: $src is not a git checkout (the copy of the source lists its files with git)" >&2; exit 1; }

# A copy of the source as it is now (tracked and new files, not what .gitignore leaves out):
# dpkg-buildpackage writes into the tree and its parent. client-web's packages are linked.
rm -rf "$work"
mkdir -p "$work/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$src" && tar --null --ignore-failed-read -T - -cf -) 2>/dev/null | tar -xf - -C "$work/src"
ln -s "$src/client-web/node_modules" "$work/src/client-web/node_modules"

# The build refuses without the municipality's key rather than pin none or a demo one.
if out="$(cd "$work/src" && env -u ADVICE_ROOT_PUBKEY_FILE make -s -f debian/rules override_dh_auto_configure 2>&1)"; then
	fail "debian/rules configured without ADVICE_ROOT_PUBKEY_FILE"
elif ! grep -q "set ADVICE_ROOT_PUBKEY_FILE" <<<"$out"; then
	fail "debian/rules refused without a key but did not say why: $out"
fi
if out="$(cd "$work/src" && ADVICE_ROOT_PUBKEY_FILE="$work/none.pub" make -s -f debian/rules override_dh_auto_configure 2>&1)"; then
	fail "debian/rules configured with a key file that does not exist"
fi

"$advicectl" root-create "$work/root.key" >"$work/root.pub"
start=$(date +%s)
if ! (cd "$work/src" && ADVICE_ROOT_PUBKEY_FILE="$work/root.pub" DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -b -uc -us >"$work/build.log" 2>&1); then
	tail -n 40 "$work/build.log" >&2
	echo "FAIL: dpkg-buildpackage failed (log: $work/build.log)" >&2
	exit 1
fi
echo "package built in $(($(date +%s) - start)) s"

arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
deb="$work/adviced_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "FAIL: no $deb (the changelog's version is not the project's $version?)" >&2; ls "$work" >&2; exit 1; }

# Contents: every file that must be there, and none that must not.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's#^\./#/#; s#/$##' >"$work/contents"
expected=(
	/usr/bin/adviced /usr/bin/advicectl /usr/bin/advice-connector
	"/usr/lib/$triplet/advice/libadvice.so.0" "/usr/lib/$triplet/advice/libadvice.so.$version"
	/lib/systemd/system/adviced.service /usr/lib/sysusers.d/adviced.conf /usr/lib/tmpfiles.d/adviced.conf
	/usr/share/doc/adviced/examples/nginx-adviced.conf
	/usr/share/man/man8/adviced.8.gz /usr/share/man/man8/advicectl.8.gz /usr/share/man/man8/advice-connector.8.gz
	/usr/share/man/man5/adviced.conf.5.gz
	/usr/share/adviced/web/index.html /usr/share/adviced/web/staff/index.html
	/usr/share/doc/adviced/copyright /usr/share/doc/adviced/changelog.gz
)
for f in "${expected[@]}"; do
	grep -qxF "$f" "$work/contents" || fail "not in the package: $f"
done
grep -E '/libadvice\.so$|/\.advice-web$|/include/|/usr/local/' "$work/contents" &&
	fail "in the package but should not be (above)"
echo "$(wc -l <"$work/contents") entries; expected files present"

# Control fields.
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "version $(dpkg-deb -f "$deb" Version), not $version"
depends="$(dpkg-deb -f "$deb" Depends)"
for d in libwebsockets-evlib-ev libsodium libsqlite3 systemd; do
	grep -q "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done

# Maintainer scripts: the user, then its folders, are made at installation; the service is not
# enabled on installation (so deb-systemd-invoke does not start it before it has a
# configuration), and an enabled one is restarted after an upgrade; no ldconfig trigger.
dpkg-deb -e "$deb" "$work/control"
postinst="$work/control/postinst"
users_line="$(grep -n "systemd-sysusers .*adviced.conf" "$postinst" | cut -d: -f1)"
folders_line="$(grep -n "systemd-tmpfiles .*--create adviced.conf" "$postinst" | cut -d: -f1)"
[ -n "$users_line" ] || fail "postinst does not make the user (systemd-sysusers)"
[ -n "$folders_line" ] || fail "postinst does not make the folders (systemd-tmpfiles)"
[ -n "$users_line" ] && [ -n "$folders_line" ] && [ "$users_line" -gt "$folders_line" ] &&
	fail "postinst makes the folders before their user"
grep -q "deb-systemd-helper debian-installed 'adviced.service'" "$postinst" ||
	fail "postinst enables adviced on installation, before it is configured"
grep -Eq "systemctl (start|enable)|deb-systemd-helper enable 'adviced.service' *$" "$postinst" &&
	fail "postinst starts or enables adviced itself"
grep -q "_dh_action=restart" "$postinst" || fail "postinst does not restart adviced after an upgrade"
[ -e "$work/control/triggers" ] && fail "the package activates triggers: $(cat "$work/control/triggers")"
[ -e "$work/control/shlibs" ] && fail "the package declares libadvice a public library (shlibs)"

# The files themselves.
root="$work/root"
dpkg-deb -x "$deb" "$root"
grep -q "^ExecStart=/usr/bin/adviced " "$root/lib/systemd/system/adviced.service" ||
	fail "the unit does not start /usr/bin/adviced"
for program in adviced advicectl advice-connector; do
	runpath="$(readelf -d "$root/usr/bin/$program" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
	[ "$runpath" = "/usr/lib/$triplet/advice" ] || fail "$program's run path is '$runpath'"
done
for program in adviced advicectl; do
	out="$(LD_LIBRARY_PATH="$root/usr/lib/$triplet/advice" "$root/usr/bin/$program" --version 2>&1)" &&
		grep -q "$version" <<<"$out" || fail "packaged $program --version: $out"
done
grep -rqF "$(tr -d '\n' <"$work/root.pub")" "$root/usr/share/adviced/web" ||
	fail "the web app does not pin the given root key"
# Every setting is in adviced.conf(5), and the pages format without a warning.
LD_LIBRARY_PATH="$root/usr/lib/$triplet/advice" "$root/usr/bin/adviced" --help-config |
	awk '/^[a-z]/ { print $1 }' >"$work/settings"
[ -s "$work/settings" ] || fail "adviced --help-config listed no settings"
zcat "$root/usr/share/man/man5/adviced.conf.5.gz" >"$work/adviced.conf.5"
while read -r name; do
	grep -qF "\\fB${name//-/\\-}\\fR (" "$work/adviced.conf.5" || fail "adviced.conf(5) lacks $name"
done <"$work/settings"
for page in man8/adviced.8 man8/advicectl.8 man8/advice-connector.8 man5/adviced.conf.5; do
	warnings="$(zcat "$root/usr/share/man/$page.gz" | LC_ALL=C.UTF-8 groff -man -ww -z 2>&1)"
	[ -z "$warnings" ] || fail "$page: $warnings"
done

# lintian: errors fail, warnings are listed (its exit status: 0 no error, 1 errors, else it
# did not run).
lintian_status=0
lintian --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1 || lintian_status=$?
echo "lintian (status $lintian_status):"
{ grep -v "running with root privileges" "$work/lintian.txt" || true; } | sed 's/^/  /'
[ "$lintian_status" -le 1 ] || fail "lintian did not run (status $lintian_status)"
if [ "$lintian_status" -eq 1 ] || grep -q '^E: ' "$work/lintian.txt"; then
	fail "lintian reports errors (above)"
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed; the build's files are in $work" >&2
	exit 1
fi
rm -rf "$work"
echo "package OK: $(basename "$deb")"
