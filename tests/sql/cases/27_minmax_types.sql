-- min/max result types: varchar and name arguments give text (PostgreSQL has no min(varchar)); bpchar stays bpchar
create table mm_t (v varchar(10), c char(3), n int, g int);
insert into mm_t values ('pear', 'ab', 1, 1), ('apple', 'zz', 2, 1), (null, null, null, 2), ('fig', 'q', 5, 2);
select min(v), max(v), min(c), max(c), min(n), max(n) from mm_t;
select g, min(v), max(v), max(c) from mm_t group by g order by g;
select min(relname), max(relname) from pg_class where relname = 'mm_t';
drop table mm_t;
