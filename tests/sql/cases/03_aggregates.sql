-- GROUP BY / HAVING and the aggregates
drop table if exists a_sales;
create table a_sales (id serial primary key, region text, rep text, amount numeric(12,2), units int, ok boolean, score float8);
insert into a_sales (region, rep, amount, units, ok, score) values
  ('north', 'ann', 100.00, 3, true, 1.5),
  ('north', 'bob', 250.50, 5, true, 2.25),
  ('south', 'cid', 75.25, 1, false, 0.5),
  ('south', 'cid', 300.00, 8, true, 3.0),
  ('south', 'dee', null, 2, null, null),
  ('east', 'eve', 20.00, null, false, 4.75),
  (null, 'fay', 10.00, 1, true, 1.0);
select count(*), count(amount), count(units), count(distinct region), count(distinct rep) from a_sales;
select sum(amount), sum(units), avg(units), avg(amount), min(amount), max(amount) from a_sales;
select sum(score), avg(score), min(score), max(score) from a_sales;
select region, count(*) from a_sales group by region;
select region, sum(amount), avg(amount) from a_sales group by region order by region;
select region, rep, sum(units) from a_sales group by region, rep order by 1, 2;
select region, count(*) from a_sales group by region having count(*) > 1 order by 1;
select region, sum(amount) as total from a_sales group by region having sum(amount) > 100 order by total desc;
select region from a_sales group by region having max(units) >= 5 order by 1;
select count(*) from a_sales where amount > 1000;
select sum(amount), avg(amount), max(rep), bool_and(ok), bool_or(ok) from a_sales where amount > 1000;
select region, bool_and(ok), bool_or(ok), every(ok) from a_sales group by region order by region nulls last;
select region, string_agg(rep, ', ' order by rep) from a_sales group by region order by region;
select string_agg(distinct rep, '|' order by rep) from a_sales;
select region, array_agg(units order by units nulls first) from a_sales group by region order by region;
select array_agg(rep order by id) from a_sales where region = 'south';
select count(*) filter (where ok), sum(amount) filter (where region = 'south') from a_sales;
select region, count(*) filter (where units > 2) from a_sales group by region order by region;
select rep, count(*) as n from a_sales group by rep order by n desc, rep limit 2;
select upper(region), count(*) from a_sales group by upper(region) order by 1;
select region is null, count(*) from a_sales group by 1 order by 1;
select units % 2 as parity, sum(units) from a_sales where units is not null group by parity order by parity;
select sum(units) * 2, count(*) + 1 from a_sales;
select region, round(avg(score)::numeric, 3) from a_sales group by region order by region;
select avg(units::numeric), sum(units::int8), avg(1.0 * units) from a_sales;
select min(rep), max(rep), min(region), max(region) from a_sales;
select count(1), count(null), sum(null::int), avg(null::int) from a_sales;
select stddev(units), variance(units) from a_sales;
select stddev_pop(score), var_pop(score) from a_sales;
select region, rep from a_sales group by region;
select sum(rep) from a_sales;
select count(*) from a_sales group by region having region like 'n%';
select region, max(amount) - min(amount) as spread from a_sales group by region having count(amount) > 1 order by 1;
select sum(sum(units)) from a_sales;
select * from a_sales where sum(units) > 1;
select distinct region, count(*) over () from a_sales order by 1;
select json_agg(rep order by rep) from a_sales where region = 'north';
