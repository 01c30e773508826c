-- GROUPING SETS, ROLLUP, CUBE and GROUPING()
drop table if exists gs_t;
create table gs_t (id int primary key, a text, b int, v int);
insert into gs_t values (1, 'x', 1, 10), (2, 'x', 2, 20), (3, 'y', 1, 30), (4, 'y', null, 40);
select a, b, sum(v), count(*) from gs_t group by rollup (a, b) order by a nulls last, b nulls last;
select a, b, sum(v), grouping(a, b), grouping(b) from gs_t group by cube (a, b) order by 4, 1, 2;
select a, count(*) from gs_t group by grouping sets ((a), ()) order by 1;
select a, b, count(*) from gs_t group by a, rollup (b) order by 1, 2;
select grouping(a), count(*) from gs_t group by rollup (a) having count(*) > 2 order by 1;
select a, count(*) from gs_t where false group by rollup (a);
select count(*) from gs_t where false group by grouping sets ((), ());
select a, grouping(a) from gs_t group by a order by 1;
select 1 as one, count(*) from gs_t group by rollup (1);
select a, b, max(v) from gs_t group by grouping sets ((a, b), (b), ()) order by 1, 2, 3;
select grouping(v) from gs_t group by a;
drop table gs_t;
