-- assignment casts: only implicit/assignment casts apply to INSERT/UPDATE values (42804 otherwise)
create table asg_t (b bool, i int, t text, n numeric(6,2), d date);
insert into asg_t (b) values (1);
insert into asg_t (i) values (true);
insert into asg_t (i) select true;
insert into asg_t (i) values ('12'), (1.5), (2.5);
insert into asg_t (t) values (1), (2.5);
insert into asg_t (b, d) values ('t', '2024-02-03');
insert into asg_t (d) values (20240203);
insert into asg_t (n) values (1), (2.345);
update asg_t set b = 1;
update asg_t set b = 1::bool where i = 12;
update asg_t set i = 't'::text;
select b, i, t, n, d from asg_t order by i nulls last, t nulls last, n nulls last;
drop table asg_t;
