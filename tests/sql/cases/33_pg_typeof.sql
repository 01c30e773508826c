-- pg_typeof answers the argument's resolved type (also for text-like and NULL-valued arguments)
create table ty_t (v varchar(10), c char(3), t text, n numeric(5,2), j jsonb, ts timestamptz, a int[]);
insert into ty_t values ('x', 'y', 'z', 1.5, '{}', now(), '{1}'), (null, null, null, null, null, null, null);
select pg_typeof(v), pg_typeof(c), pg_typeof(t), pg_typeof(n), pg_typeof(j), pg_typeof(ts), pg_typeof(a) from ty_t;
select pg_typeof('x'), pg_typeof(null), pg_typeof(1), pg_typeof(1.5), pg_typeof(2147483648), pg_typeof(true);
select pg_typeof(v || 'a'), pg_typeof(max(v)), pg_typeof(min(c)), pg_typeof(count(*)), pg_typeof(sum(n)) from ty_t group by v;
select pg_typeof(x) from generate_series(1, 2) x;
drop table ty_t;
