#!/usr/bin/env bash
# Installs the Debian tools the tests and demos use, only those missing: LibreOffice (docx → PDF) and its
# Python bridge (python3-uno: the PDF's contents and page numbers are updated through it),
# poppler (pdftotext, pdftoppm), Chromium (UI screenshots), pandoc (render benchmark baseline).
# Needs root (CI and these machines run as root); elsewhere it says what to install and carries on.
set -u
declare -A wanted=([soffice]=libreoffice-writer [pdftotext]=poppler-utils [chromium]=chromium [pandoc]=pandoc)
missing=()
for tool in "${!wanted[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${wanted[$tool]}")
done
# Debian's LibreOffice has no Python of its own: the bridge is the system Python's module `uno`.
/usr/bin/python3 -c 'import uno' >/dev/null 2>&1 || missing+=(python3-uno)
# PostgreSQL's server binaries are not on PATH (tests/test_postgres.py starts a throwaway server).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: not root, cannot install: ${missing[*]} (tests that need them will be skipped)" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt-get (an unattended upgrade, a parallel job) may hold the lock: wait for it, do not skip.
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null \
  || echo "system-deps: apt-get could not install ${missing[*]} (tests that need them will be skipped)" >&2
exit 0
