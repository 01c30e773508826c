-- RIGHT/FULL JOIN … USING keeps a.x and b.x apart from the merged x; VALUES with ORDER BY/LIMIT
select a.x, b.x, x from (values (1), (2)) a(x) right join (values (2), (3)) b(x) using (x) order by 2;
select * from (values (1, 'l1'), (2, 'l2')) a(x, l) full join (values (2, 'r2'), (3, 'r3')) b(x, r) using (x) order by x;
select a.*, b.* from (values (1, 'l1'), (2, 'l2')) a(x, l) full join (values (2, 'r2'), (3, 'r3')) b(x, r) using (x) order by 1 nulls last;
select x, count(*) from (values (1), (2)) a(x) full join (values (2), (3)) b(x) using (x) group by x order by x;
select * from (values (1, 2, 'a')) a(x, y, p) right join (values (1, 2, 'b'), (5, 6, 'c')) b(x, y, q) using (x, y) order by x;
select * from (values (1)) a(x) left join (values (1)) b(x) using (x);
values (1, 'a'), (2, 'b') order by 1 desc;
values (3), (1), (2) order by 1 limit 2;
values (3), (1), (2) order by column1 desc offset 1;
