-- WITH (plain and recursive), UNION / INTERSECT / EXCEPT [ALL]
drop table if exists c_tree;
create table c_tree (id int primary key, parent int, label text);
insert into c_tree values (1, null, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'a1'), (5, 2, 'a2'), (6, 4, 'a1x'), (7, 3, 'b1');
with t as (select id, label from c_tree where parent = 1) select * from t order by id;
with a as (select 1 as x), b as (select x + 1 as y from a) select * from a, b;
with recursive n(i) as (select 1 union all select i + 1 from n where i < 10) select sum(i), count(*) from n;
with recursive sub(id, label, depth) as (
  select id, label, 0 from c_tree where id = 2
  union all
  select c.id, c.label, s.depth + 1 from c_tree c join sub s on c.parent = s.id
) select * from sub order by depth, id;
with recursive up(id, parent, path) as (
  select id, parent, label from c_tree where id = 6
  union all
  select c.id, c.parent, c.label || '/' || u.path from c_tree c join up u on c.id = u.parent
) select path from up where parent is null;
with recursive fib(a, b, n) as (select 0::int8, 1::int8, 1 union all select b, a + b, n + 1 from fib where n < 20) select max(a) from fib;
with recursive r(x) as (select 1 union select x from r) select * from r;
with x as (select label from c_tree) select count(*) from x where label like 'a%';
with w as (select * from c_tree) select w1.label, w2.label from w w1 join w w2 on w2.parent = w1.id order by 1, 2;
select 1 union select 2 union select 1 order by 1;
select 1 union all select 2 union all select 1 order by 1;
select label from c_tree where id < 4 union select label from c_tree where id > 5 order by 1;
select parent from c_tree union select id from c_tree where id > 5;
select parent from c_tree intersect select id from c_tree order by 1;
select parent from c_tree except select id from c_tree where id > 2;
select 1 from c_tree intersect all select 1 from c_tree where id < 3;
select parent from c_tree except all select id from c_tree;
select 1 as a, 'x' as b union select 2, 'y' order by a desc;
select 1 union select 2.5 order by 1;
select null union select 1 order by 1;
select 'a' union select 'b' except select 'a';
select * from (select 1 as v union all select 2) u where v > 1;
select 1, 2 union select 3;
select 1 union select 'x';
(select 3 as k) union (select 1) order by k limit 2;
select label from c_tree where id = 1 union all select label from c_tree where id = 1 union select 'zz' order by 1;
