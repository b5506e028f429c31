# bench_table.awk - bench/run.sh's table: reads runs.tsv (workload allocator round
# time_s rss_kb process_kb checksum), prints one row per workload and allocator
# with the median time, peak RSS and process peak RSS and their ratio to glibc
# (to glibc-notc for the -notc rows), writes the same as CSV (csv=FILE) and the
# time and peak RSS ratios for gnuplot (ratios=FILE).  Exits 1 when the
# allocators disagree on a workload's checksum.
#
# The time ratio is the median of the rounds' own ratios: within a round the
# allocators run one right after another, so each ratio compares two runs made
# under the same load, and a slow spell of the machine that lasts a few runs
# moves the medians of both sides' times but hardly their ratio.  The RSS
# ratios are those of the medians (memory does not depend on the load).
#
#   awk -f table.awk -v csv=F -v ratios=F -v allocators=a,b -v workloads=w,x runs.tsv

function median(list,    v, n, i, j, t) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++)          # insertion sort: a handful of values
        for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function base_of(a) { return a ~ /-notc$/ ? "glibc-notc" : "glibc" }
function ratio(x, b) { return (b == "" || b + 0 == 0 || x == "") ? "-" : sprintf("%.2f", x / b) }
# The median over the rounds in which both ran of key's time over base's.
function paired_ratio(key, base,    r, list) {
    list = ""
    for (r in rounds)
        if ((key, r) in round_time && (base, r) in round_time && round_time[base, r] + 0 > 0)
            list = list " " round_time[key, r] / round_time[base, r]
    return list == "" ? "-" : sprintf("%.2f", median(list))
}
function size(kb) { return kb < 1024 ? sprintf("%d KiB", kb) : sprintf("%.1f MiB", kb / 1024) }

BEGIN { FS = "\t"; nA = split(allocators, A, ","); nW = split(workloads, W, ","); bad = 0 }
NR == 1 { next }
{
    key = $1 SUBSEP $2
    if ($4 == "FAILED") { failed[key]++; next }
    times[key] = times[key] " " $4
    round_time[key, $3] = $4; rounds[$3] = 1
    rss[key] = rss[key] " " $5
    process[key] = process[key] " " $6
    if ($7 != "-") {
        if (!($1 in sum)) { sum[$1] = $7; sum_by[$1] = $2 }
        else if (sum[$1] != $7 && !((key) in told)) {
            printf "bench: %s: %s printed checksum %s, %s printed %s\n", $1, $2, $7, sum_by[$1], sum[$1] > "/dev/stderr"
            told[key] = 1; bad = 1
        }
    }
}
END {
    for (w = 1; w <= nW; w++) for (a = 1; a <= nA; a++) {
        key = W[w] SUBSEP A[a]
        if (times[key] != "") { T[key] = median(times[key]); R[key] = median(rss[key]); P[key] = median(process[key]) }
    }
    printf "%-20s %-15s %18s %22s %22s\n", "workload", "allocator", "time (x glibc)", "peak RSS (x glibc)", \
        "process (x glibc)"
    print "workload,allocator,time_s,time_x_glibc,peak_rss_kb,rss_x_glibc,process_rss_kb,process_x_glibc,runs,failed" > csv
    printf "workload" > ratios
    for (a = 1; a <= nA; a++) printf " %s", A[a] > ratios
    for (a = 1; a <= nA; a++) printf " %s", A[a] > ratios
    printf "\n" > ratios
    for (w = 1; w <= nW; w++) {
        line = W[w]; rline = ""
        for (a = 1; a <= nA; a++) {
            key = W[w] SUBSEP A[a]; b = W[w] SUBSEP base_of(A[a])
            if (!(key in T)) {
                printf "%-20s %-15s %18s\n", W[w], A[a], "failed"
                printf "%s,%s,,,,,,,0,%d\n", W[w], A[a], failed[key] > csv
                line = line " -"; rline = rline " -"
                continue
            }
            tr = paired_ratio(key, b); rr = ratio(R[key], R[b]); pr = ratio(P[key], P[b])
            printf "%-20s %-15s %9.3f s (%5s) %11s (%5s) %12s (%5s)%s\n", W[w], A[a], T[key], tr, size(R[key]), rr, \
                size(P[key]), pr, failed[key] ? sprintf("  %d runs failed", failed[key]) : ""
            n = split(times[key], dummy, " ")
            printf "%s,%s,%.4f,%s,%d,%s,%d,%s,%d,%d\n", W[w], A[a], T[key], tr, R[key], rr, P[key], pr, n, \
                failed[key] + 0 > csv
            line = line " " tr; rline = rline " " rr
        }
        print line rline > ratios
        print ""
    }
    exit bad
}
