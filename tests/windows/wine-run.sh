#!/usr/bin/env bash
# tests/windows/wine-run.sh PROGRAM.exe [ARGS...] - runs a Windows test program under Wine, headless,
# in a Wine prefix of its own (WINEPREFIX, default /tmp/arenalloc-wine), and
# exits with the program's status.  The first run creates the prefix, which takes
# Wine some seconds; later runs reuse it.
set -eu

export WINEPREFIX=${WINEPREFIX:-/tmp/arenalloc-wine}
export WINEDEBUG=${WINEDEBUG:--all}
# No Mono or Gecko (Wine would offer to download them) and no display.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
unset DISPLAY WAYLAND_DISPLAY

# The 64-bit loader itself: Debian's `wine` wrapper would first complain that
# the 32-bit one (wine32) is missing, which these 64-bit programs do not need.
wine=/usr/lib/wine/wine64
[[ -x $wine ]] || wine=wine

if [[ ! -f $WINEPREFIX/system.reg ]]; then
    echo "wincheck: creating the Wine prefix $WINEPREFIX (first run only)"
    mkdir -p "$WINEPREFIX"
    "$wine" wineboot --init >/dev/null 2>&1 || true
fi

echo "wincheck: $wine $*"
status=0
"$wine" "$@" || status=$?
# Wine keeps its server running a few seconds after the last program; wait for
# it, so nothing of ours outlives `make wincheck`.
if command -v wineserver >/dev/null 2>&1; then
    wineserver -w || true
elif [[ -x /usr/lib/wine/wineserver ]]; then
    /usr/lib/wine/wineserver -w || true
fi
exit "$status"
