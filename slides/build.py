#!/usr/bin/env python3
"""build.py - makes the decks: runs the experiments, draws their figures, fills the
decks in and hands them to Marp.

    slides/build.py [--short] [--no-pdf] BUILD OUT

BUILD is the make build directory (libraries, tools, BUILD/slides/bin/ with the
compiled slides/programs/*.c); OUT receives <deck>.md, .html, .pdf and fig/.

Every picture and every number on a slide comes from this run, in five steps:

  1. experiments: every program of slides/programs/ (the compiled .c files, and
     the .sh scripts) runs as `PROGRAM OUTDIR [--short]`, OUTDIR being
     OUT/fig/<program>/.  It prints one `key value` line per figure it measured
     (the value is the rest of the line) and may leave files in OUTDIR: heap dumps
     (*.json, arenalloc_dump's JSON; `name.arenaN.json` draws arena N) and data
     for plots.  OUT/values.txt collects every value as `program.key value`.
  2. heap dumps -> tools/heapviz -> <name>.svg beside each dump.
  3. plots: every slides/plots/<name>.gp runs in OUT/fig/ and writes <name>.svg
     there, from the data the experiments left.
  4. decks: every slides/decks/<deck>.md is copied to OUT/<deck>.md with
       {{program.key}}        the measured value,
       {{code NAME}}          the definition of function NAME (or `struct NAME`,
                              `#define NAME`) in the library's sources, as a C
                              code block under its file's name; {{code NAME in
                              FILE}} when several files define NAME,
       {{build.commit}} and {{build.date}}  what the deck was built from.
     An unknown key fails the build: a deck never shows a placeholder.
  5. Marp CLI (slides/node_modules, pinned by slides/package-lock.json) writes
     OUT/<deck>.html and, unless --no-pdf, OUT/<deck>.pdf through Chromium.

--short asks each experiment for its short mode (fewer repetitions), as the
slide check does.  A new deck or experiment is one new file in slides/decks/,
slides/programs/ or slides/plots/: nothing here lists them.
"""

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys

SLIDES = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SLIDES)


class BuildError(Exception):
    pass


def run_experiments(build, fig, short):
    """Runs every experiment; returns {program.key: value}."""
    values = {}
    programs = []
    bindir = os.path.join(build, "slides", "bin")
    for name in sorted(os.listdir(os.path.join(SLIDES, "programs"))):
        stem, ext = os.path.splitext(name)
        if ext == ".c":
            programs.append((stem, [os.path.join(bindir, stem)]))
        elif ext == ".sh":
            programs.append((stem, [os.path.join(SLIDES, "programs", name)]))
    for stem, cmd in programs:
        outdir = os.path.join(fig, stem)
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        argv = cmd + [outdir] + (["--short"] if short else [])
        env = dict(os.environ, BUILD=build)
        print(f"slides: experiment {stem}", file=sys.stderr, flush=True)
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise BuildError(f"{' '.join(argv)} exited with status {done.returncode}")
        for line in done.stdout.splitlines():
            if not line.strip():
                continue
            key, _, value = line.partition(" ")
            values[f"{stem}.{key}"] = value.strip()
    return values


def draw_dumps(fig):
    heapviz = os.path.join(ROOT, "tools", "heapviz")
    for dirpath, _, files in os.walk(fig):
        for name in sorted(files):
            if not name.endswith(".json"):
                continue
            stem = name[: -len(".json")]
            argv = [heapviz]
            m = re.fullmatch(r"(.*)\.arena(\d+)", stem)
            if m:
                argv += ["--arena", m.group(2)]
                stem = m.group(1) + "-arena" + m.group(2)
            argv += ["-o", os.path.join(dirpath, stem + ".svg"), os.path.join(dirpath, name)]
            if subprocess.run(argv).returncode != 0:
                raise BuildError(f"heapviz failed on {os.path.join(dirpath, name)}")


def draw_plots(fig):
    plots = os.path.join(SLIDES, "plots")
    for name in sorted(os.listdir(plots)):
        if name.endswith(".gp"):
            if subprocess.run(["gnuplot", os.path.join(plots, name)], cwd=fig).returncode != 0:
                raise BuildError(f"gnuplot failed on slides/plots/{name}")


# ---- code excerpts ----------------------------------------------------------------------

LIBRARY_DIRS = ("include", "syscall", "bins", "arena", "inspect", "stomp")


def definition(lines, name):
    """The lines defining NAME (a function with the comment right above it,
    `struct NAME`, or `#define NAME`), or None."""
    if name.startswith("#define "):
        macro = re.compile(r"#\s*define\s+" + re.escape(name.split()[1]) + r"\b")
        for i, line in enumerate(lines):
            if macro.match(line):
                j = i
                while lines[j].endswith("\\"):
                    j += 1
                return lines[i : j + 1]
        return None
    if name.startswith("struct "):
        pattern = re.compile(r"^(typedef\s+)?" + re.escape(name) + r"\s*\{")
    else:
        pattern = re.compile(r"^[A-Za-z_][^;]*[\s*]" + re.escape(name) + r"\s*\([^;]*$")
    for i, line in enumerate(lines):
        if not pattern.match(line):
            continue
        depth, j, opened = 0, i, False
        while j < len(lines):
            depth += lines[j].count("{") - lines[j].count("}")
            opened = opened or "{" in lines[j]
            if opened and depth == 0:
                break
            j += 1
        start = i
        while start > 0 and lines[start - 1].lstrip().startswith(("/*", "*", "//")) and lines[start - 1].strip():
            start -= 1
        return lines[start : j + 1]
    return None


LAB_MARKER = re.compile(r"^\s*/\* LAB\([\w-]+\) (BEGIN|END)( quiet)? \*/\s*$")


def excerpt(spec):
    """{{code NAME}} or {{code NAME in FILE}}: NAME's definition, found in the
    library's sources by name (not by line or marker, so that code moving between
    files does not break a deck); FILE, a file name, picks one of several."""
    name, _, where = spec.partition(" in ")
    found = []
    for top in LIBRARY_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")) or (where and f != where.strip()):
                    continue
                path = os.path.join(dirpath, f)
                with open(path, encoding="utf-8") as src:
                    lines = definition(src.read().split("\n"), name.strip())
                if lines is not None:
                    found.append((os.path.relpath(path, ROOT), lines))
    if len(found) != 1:
        places = ", ".join(p for p, _ in found) or "no file"
        raise BuildError(f"{{{{code {spec}}}}}: one definition expected, found in {places}")
    path, lines = found[0]
    # The labs' region markers (labs/cut.sh) are for cutting student trees, not for reading.
    lines = [line for line in lines if not LAB_MARKER.match(line)]
    return f"<div class=\"src\">{path}</div>\n\n```c\n" + "\n".join(lines) + "\n```"


def fill(text, values, deck):
    def substitute(m):
        body = m.group(1).strip()
        if body.startswith("code "):
            return excerpt(body[len("code ") :])
        if body not in values:
            raise BuildError(f"slides/decks/{deck}: no measured value for {{{{{body}}}}}")
        return values[body]

    return re.sub(r"\{\{(.*?)\}\}", substitute, text)


def build_info():
    commit = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=10"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True).stdout.strip() or "unknown"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {"build.commit": commit, "build.date": date}


def marp(out, decks, pdf):
    cli = os.path.join(SLIDES, "node_modules", ".bin", "marp")
    if not os.path.exists(cli):
        raise BuildError("Marp CLI is missing: run `npm ci` in slides/ (make slides does)")
    env = dict(os.environ)
    env.setdefault("CHROME_PATH", shutil.which("chromium") or "")
    if os.geteuid() == 0:
        env["CHROME_NO_SANDBOX"] = "1"  # Chromium refuses to sandbox as root
    common = [cli, "--theme-set", os.path.join(SLIDES, "theme.css"), "--allow-local-files"]
    paths = [os.path.join(out, d) for d in decks]
    for extra in [["--html"]] + ([["--pdf"]] if pdf else []):
        if subprocess.run(common + extra + paths, env=env).returncode != 0:
            raise BuildError("Marp CLI failed")


def main():
    ap = argparse.ArgumentParser(description="Builds the decks of slides/.")
    ap.add_argument("--short", action="store_true", help="the experiments' short mode")
    ap.add_argument("--no-pdf", action="store_true", help="HTML only")
    ap.add_argument("build")
    ap.add_argument("out")
    args = ap.parse_args()
    build, out = os.path.abspath(args.build), os.path.abspath(args.out)
    fig = os.path.join(out, "fig")
    try:
        # What an earlier build made goes first, so that no stale deck or figure
        # survives a renamed one (OUT may also hold the compiled programs: kept).
        shutil.rmtree(fig, ignore_errors=True)
        if os.path.isdir(out):
            for name in os.listdir(out):
                if name.endswith((".md", ".html", ".pdf")):
                    os.remove(os.path.join(out, name))
        os.makedirs(fig)
        # The check compares every figure's time with this one.
        with open(os.path.join(out, "build-started"), "w") as f:
            f.write(datetime.datetime.now(datetime.timezone.utc).isoformat() + "\n")
        values = build_info()
        values.update(run_experiments(build, fig, args.short))
        with open(os.path.join(out, "values.txt"), "w") as f:
            f.writelines(f"{k} {v}\n" for k, v in sorted(values.items()))
        draw_dumps(fig)
        draw_plots(fig)
        decks = sorted(d for d in os.listdir(os.path.join(SLIDES, "decks")) if d.endswith(".md"))
        for deck in decks:
            with open(os.path.join(SLIDES, "decks", deck), encoding="utf-8") as f:
                text = fill(f.read(), values, deck)
            with open(os.path.join(out, deck), "w", encoding="utf-8") as f:
                f.write(text)
        marp(out, decks, not args.no_pdf)
    except (BuildError, OSError) as e:
        print(f"slides: {e}", file=sys.stderr)
        return 1
    print(f"slides: {len(decks)} decks in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
