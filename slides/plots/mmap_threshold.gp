# The mmap threshold after each free, and each block's size, mapped or not
# (data: slides/programs/mmap_threshold.c).  Runs in the figure directory.
set terminal svg size 1000,460 font "DejaVu Sans,14" background "white"
set output "mmap_threshold/threshold.svg"
set xlabel "block (allocated, then freed, in this order)"
set ylabel "KiB"
set key top left
set grid ytics
set xtics 1
set yrange [0:*]
plot "mmap_threshold/mmap_threshold.tsv" using 1:($3==1 ? $2 : 1/0) with points pt 7 ps 1.6 lc rgb "#d94801" title "block from mmap", \
     "" using 1:($3==0 ? $2 : 1/0) with points pt 5 ps 1.4 lc rgb "#2171b5" title "block from the heap", \
     "" using 1:4 with steps lw 2.5 lc rgb "#238b45" title "threshold after its free"
