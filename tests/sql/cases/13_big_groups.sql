-- Aggregates over a few thousand rows (the Arrow hash-aggregation path) must match PostgreSQL exactly
drop table if exists g_big;
create table g_big (id int primary key, grp int, sub text, amount numeric(10,2), qty bigint, small smallint, note text);
insert into g_big select i, i % 7, 'k' || (i % 3), (i % 997) * 1.25, i * 1000003, (i % 100)::smallint, case when i % 11 = 0 then null else 'n' || (i % 13) end from generate_series(1, 3000) as s(i);
select grp, count(*), count(note), sum(qty), sum(small), avg(small), min(note), max(note), min(amount), max(amount) from g_big group by grp order by grp;
select grp, sub, count(*), avg(qty), max(qty) from g_big group by grp, sub order by 1, 2;
select note, count(*) from g_big group by note order by note nulls first;
select count(*), sum(small), avg(qty), min(sub), max(amount) from g_big;
select count(*), sum(small) from g_big where id > 5000;
select sub, count(*) from g_big group by sub having count(*) > 999 order by 1;
select count(*) from g_big group by grp order by 1 desc limit 2;
