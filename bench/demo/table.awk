# table.awk - the comparison table from replay summaries.
#
# Input, one line per replay: "<workload> <allocator> key=value ..." (the
# summary line arena-replay prints), or "<workload> <allocator> failed".
# Output: one row per allocator per workload; footprint, RSS and time also as a
# ratio against glibc on the same workload (below 1.00: less than glibc).

function human(b) {
    if (b >= 1073741824) return sprintf("%.2f GiB", b / 1073741824)
    if (b >= 1048576) return sprintf("%.1f MiB", b / 1048576)
    return sprintf("%.0f KiB", b / 1024)
}
function ratio(x, base) { return base > 0 ? sprintf("(%.2f)", x / base) : "" }

{
    n++
    work[n] = $1; alloc[n] = $2; failed[n] = ($3 == "failed")
    for (i = 3; i <= NF; i++) {
        split($i, kv, "=")
        val[n, kv[1]] = kv[2]
    }
    if ($2 == "glibc" && !failed[n]) {
        base_fp[$1] = val[n, "peak_footprint"]; base_rss[$1] = val[n, "peak_rss"]; base_t[$1] = val[n, "time_s"]
    }
}

END {
    fmt = "%-20s %-10s %10s %12s %-10s %12s %-7s %-9s %-8s %9s %s\n"
    printf fmt, "workload", "allocator", "peak live", "peak footpr", "(x glibc)", "peak RSS", "(x gl.)", \
        "frag peak", "frag avg", "time", "(x gl.)"
    for (r = 1; r <= n; r++) {
        w = work[r]
        if (r > 1 && w != work[r - 1]) print ""
        if (failed[r]) {
            printf "%-20s %-10s %s\n", w, alloc[r], "replay failed: see its .error file"
            continue
        }
        fp = val[r, "peak_footprint"]; rss = val[r, "peak_rss"]; t = val[r, "time_s"]
        src = val[r, "footprint_source"] == "rss" ? "*" : ""
        printf fmt, w, alloc[r], human(val[r, "peak_live"]), human(fp) src, ratio(fp, base_fp[w]), \
            human(rss), ratio(rss, base_rss[w]), sprintf("%.3f", val[r, "frag_peak"]), \
            sprintf("%.3f", val[r, "frag_avg"]), sprintf("%.3f s", t), ratio(t, base_t[w])
    }
    print ""
    print "footprint: the allocator's own count of the memory it holds (mallinfo2: arena + hblkhd);"
    print "  * marks an allocator without mallinfo2, whose footprint is its resident memory (RSS)."
    print "frag: footprint / live bytes, at the peak, and averaged over the run while at least a tenth of the"
    print "  peak is live.  RSS counts from the replay's start."
    print "time: the median of the rounds' replays (one-thread traces pinned to one CPU); read only ratios"
    print "  a few hundredths from 1.00 as a difference: make bench measures speed."
}
