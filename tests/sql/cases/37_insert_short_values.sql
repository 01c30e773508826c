-- INSERT without a column list and fewer VALUES than columns: the leading columns, the rest take defaults
drop table if exists isv_t;
create table isv_t (a int primary key, b text default 'dflt', c int, d timestamptz default '2024-01-01 00:00:00+00', e serial);
insert into isv_t values (1);
insert into isv_t values (2, 'x');
insert into isv_t values (3, 'y', 4) returning *;
insert into isv_t values (4, 'y', 4, '2025-05-05 05:05:05+00', 100, 7);
insert into isv_t values (5), (6, 'z');
insert into isv_t (a, b) values (6);
insert into isv_t (a) values (7, 'w');
insert into isv_t values (10, 'name 10'), (11, 'name 11'), (12, 'name 12'), (13, 'name 13'), (14, 'name 14'), (15, 'name 15'), (16, 'name 16'), (17, 'name 17'), (18, 'name 18'), (19, 'name 19'), (20, 'name 20'), (21, 'name 21'), (22, 'name 22'), (23, 'name 23'), (24, 'name 24'), (25, 'name 25'), (26, 'name 26'), (27, 'name 27'), (28, 'name 28'), (29, 'name 29'), (30, 'name 30'), (31, 'name 31'), (32, 'name 32'), (33, 'name 33'), (34, 'name 34'), (35, 'name 35'), (36, 'name 36'), (37, 'name 37'), (38, 'name 38'), (39, 'name 39');
insert into isv_t select 50;
insert into isv_t select 51, 'sel';
select a, b, c, d, e from isv_t order by a;
drop table isv_t;
