-- jsonb numbers keep their digits (numeric semantics) when a float64 would round them
select '{"x": 99998969694839.983485848}'::jsonb, '{"x": 99998969694839.983485848}'::jsonb ->> 'x', ('{"x": 99998969694839.983485848}'::jsonb -> 'x')::numeric;
select ('{"x": 99998969694839.983485848}'::jsonb ->> 'x')::numeric = 99998969694839.983485848;
select '{"a": {"b": 1.10000000000000000001}}'::jsonb #>> '{a,b}', '{"a": {"b": [1.5, 2.25]}}'::jsonb #>> '{a}', '{"a": {"b": [1.5, 2.25]}}'::jsonb ->> 'a';
select '[1.000000000000000000000001, 2]'::jsonb @> '[1.000000000000000000000001]', '{"a": 0.1}'::jsonb @> '{"a": 0.1}';
select '{"k": 1.5, "m": 12345678901234567890.5}'::jsonb = '{"k": 1.5, "m": 12345678901234567890.5}'::jsonb;
drop table if exists jd;
create table jd (id int primary key, data jsonb);
insert into jd values (1, '{"x": 99998969694839.983485848, "s": "1234567890123456789"}'), (2, '{"x": 1.5}');
select id, data, data -> 'x', (data ->> 'x')::numeric from jd order by id;
select id from jd where (data ->> 'x')::numeric = 99998969694839.983485848;
select id from jd order by data -> 'x';
drop table jd;
