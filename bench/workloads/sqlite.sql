-- sqlite.sql - the sqlite3 workload of `make demo`: build a table of 100,000
-- rows, index it, and query it with joins, grouping and sorting.
CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO t SELECT i, (i * 7919) % 1000, printf('row-%d-%s', i, hex(randomblob(8))), i / 7.0 FROM n;
CREATE INDEX t_a ON t(a);
CREATE INDEX t_b ON t(b);
SELECT a, count(*), avg(c) FROM t GROUP BY a ORDER BY 2 DESC, 1 LIMIT 5;
SELECT count(*) FROM t AS x JOIN t AS y ON x.a = y.a AND y.id = x.id + 1000;
SELECT b FROM t ORDER BY b DESC LIMIT 3;
DELETE FROM t WHERE a % 3 = 0;
VACUUM;
SELECT count(*), sum(length(b)) FROM t;
