#!/usr/bin/env bash
# install-deps.sh - installs what `make check` needs on a Debian machine, only
# what is missing.  Needs root (or sudo) only when something is missing.
# `install-deps.sh demo` installs what `make demo` needs instead (`bench`: the
# same and GNU time, for `make bench`),
# `install-deps.sh windows` what `make wincheck` needs: the mingw-w64 cross
# compiler and Wine (64-bit; no display needed), and `install-deps.sh slides`
# what `make slides` needs: Node and npm (for Marp CLI, which slides/package.json
# pins), Chromium to render the PDFs and the test's PNGs, gnuplot and Graphviz;
# `install-deps.sh stepper` what `make stepper` needs: Node, npm and Chromium.
set -eu

# command-or-file  Debian package
# gcc only recommends the C library's headers, which --no-install-recommends
# would leave out.
needs=(
    "cc:gcc"
    "/usr/include/stdio.h:libc6-dev"
    "make:make"
    "pkg-config:pkg-config"
    "/usr/include/check.h:check"
    "python3:python3"
    "sqlite3:sqlite3"
    "git:git"
    "xz:xz-utils"
    "bash:bash"
    "xmllint:libxml2-utils"
    "/usr/include/cjson/cJSON.h:libcjson-dev"
    "rsvg-convert:librsvg2-bin"
    "/usr/lib/python3/dist-packages/jsonschema/__init__.py:python3-jsonschema"
    "gdb:gdb"
    # libc's debug symbols: the gdb test checks that gdb's static lookups find
    # arenalloc's main_arena, mp_ ... before libc's own copies, which they hold.
    "/usr/share/doc/libc6-dbg/copyright:libc6-dbg"
    "gnuplot:gnuplot-nox"
    "clang:clang"
    "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
)

# The allocators make demo compares with; the trace tests replay on them too.
libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
other_allocators=(
    "$libdir/libjemalloc.so.2:libjemalloc2"
    "$libdir/libmimalloc.so.2:libmimalloc2.0"
    "$libdir/libtcmalloc_minimal.so.4:libtcmalloc-minimal4"
)

mode=${1:-check}
if [[ $mode == check ]]; then
    needs+=("${other_allocators[@]}")
fi
if [[ $mode == demo || $mode == bench ]]; then
    needs=("cc:gcc" "/usr/include/stdio.h:libc6-dev" "make:make" "xz:xz-utils" "gnuplot:gnuplot-nox"
           "${other_allocators[@]}")
fi
# make bench (and its smoke run in make check) reads peak RSS from GNU time.
if [[ $mode == bench || $mode == check ]]; then
    needs+=("/usr/bin/time:time")
fi

if [[ $mode == slides ]]; then
    needs=("cc:gcc" "/usr/include/stdio.h:libc6-dev" "make:make" "xz:xz-utils" "gnuplot:gnuplot-nox"
           "dot:graphviz" "python3:python3" "node:nodejs" "npm:npm" "chromium:chromium"
           "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"
           "${other_allocators[@]}")
fi

# make stepper: the pages are built with Node (esbuild, from tools/stepper's
# package-lock.json); its test drives Chromium.
if [[ $mode == stepper ]]; then
    needs=("cc:gcc" "/usr/include/stdio.h:libc6-dev" "make:make" "xz:xz-utils" "node:nodejs" "npm:npm"
           "chromium:chromium" "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core")
fi

if [[ $mode == windows ]]; then
    needs=(
        "x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64"
        "wine:wine"
        "/usr/lib/wine/wine64:wine64"
    )
fi

missing=()
for entry in "${needs[@]}"; do
    what=${entry%%:*}
    pkg=${entry#*:}
    if [[ $what == /* ]]; then
        [[ -e $what ]] || missing+=("$pkg")
    else
        command -v "$what" >/dev/null 2>&1 || missing+=("$pkg")
    fi
done

# Check's pkg-config file ships in the same package as its header.
if [[ $mode == check && -e /usr/include/check.h ]] && ! pkg-config --exists check 2>/dev/null; then
    missing+=(check)
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
