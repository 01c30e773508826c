-- Single-table queries: WHERE, ORDER BY (NULLS FIRST/LAST), LIMIT/OFFSET, DISTINCT, expressions over columns
drop table if exists s_items;
create table s_items (id int primary key, name text not null, category text, price numeric(10,2), qty int, active boolean, added date);
insert into s_items values
  (1, 'apple', 'fruit', 1.20, 10, true, '2024-01-05'),
  (2, 'banana', 'fruit', 0.50, 25, true, '2024-02-11'),
  (3, 'carrot', 'vegetable', 0.80, null, false, '2024-01-20'),
  (4, 'durian', 'fruit', 12.00, 1, null, null),
  (5, 'eggplant', 'vegetable', 2.10, 4, true, '2024-03-01'),
  (6, 'fig', null, 3.30, 0, false, '2023-12-31'),
  (7, 'grape', 'fruit', null, 100, true, '2024-02-29'),
  (8, 'Habanero', 'spice', 9.99, 7, true, '2024-01-01');
select * from s_items order by id;
select id, name from s_items where category = 'fruit' order by id;
select name from s_items where price > 1 order by name;
select name from s_items where price >= 0.8 and price <= 3.3 order by price, name;
select name from s_items where category is null;
select name from s_items where category is not null and qty is null;
select name from s_items where not active order by name;
select name from s_items where active is not true order by name;
select name from s_items where id in (2, 4, 6, 99) order by id;
select name from s_items where id not in (1, 2, 3) order by id;
select name from s_items where name like '%an%' order by name;
select name from s_items where name ilike 'h%';
select name from s_items where name between 'b' and 'e' order by name;
select name, price from s_items order by price;
select name, price from s_items order by price desc;
select name, price from s_items order by price nulls first, name;
select name, price from s_items order by price desc nulls last;
select name, qty from s_items order by qty desc, name limit 3;
select name from s_items order by name limit 2 offset 3;
select name from s_items order by name offset 6;
select name from s_items order by id limit 0;
select name from s_items order by name limit null;
select distinct category from s_items;
select distinct category from s_items order by category;
select distinct on (category) category, name from s_items order by category, price desc;
select count(distinct category) from s_items;
select name, price * qty as total from s_items order by total desc nulls last, name;
select name, upper(name), length(name), substring(name from 2 for 3) from s_items order by id;
select name, qty / 2, qty % 3, -qty from s_items where qty is not null order by id;
select name, price::int, round(price), round(price, 1) from s_items where price is not null order by id;
select name, coalesce(category, 'none'), coalesce(qty, -1) from s_items order by id;
select name, case when price < 1 then 'cheap' when price < 5 then 'mid' else 'dear' end as band from s_items order by id;
select id, added, added + 1, extract(year from added) from s_items where added is not null order by id;
select name from s_items where added > '2024-01-31' order by added;
select name from s_items where added between date '2024-01-01' and date '2024-01-31' order by added;
select 2 * id as doubled, name from s_items where id * 2 > 10 order by 1;
select s.name from s_items s where s.id = 3;
select s_items.name from s_items where s_items.qty > 20 order by 1;
select name from s_items where price = 1.2;
select name from s_items where id = '3';
select name from s_items where name = 'apple' or name = 'fig' order by 1;
select name from s_items where (category = 'fruit' or category = 'spice') and qty > 5 order by 1;
select name, active and qty > 5 from s_items order by id;
select name from s_items where category <> 'fruit' order by 1;
select max(id) from s_items where false;
select * from s_items where id = 42;
select name from s_items order by length(name), name;
select name from s_items order by category nulls first, name;
select category, name from s_items order by 1 desc, 2;
select id from s_items order by 3;
select nosuch from s_items;
select * from no_such_table;
select name from s_items where qty > 'x';
select name from s_items where name > 5;
select count(*) from s_items where price is null or qty is null;
