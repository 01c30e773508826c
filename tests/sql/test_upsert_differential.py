"""INSERT … ON CONFLICT, REM vs PostgreSQL 15 over psycopg (the tests/sql/differential.py harness): conflict
targets (column list, composite key, unique column, ON CONSTRAINT), DO NOTHING / DO UPDATE … WHERE, EXCLUDED in
any letter case, RETURNING of inserted and updated rows in statement order, error 21000 for a key hit twice,
INSERT … SELECT, transactions, and the statement's all-or-nothing behaviour."""

from __future__ import annotations

import pytest

from tests.sql.differential import run_file, statements

CASES = """
drop table if exists u_stock;
drop table if exists u_pair;
drop table if exists u_mail;
drop table if exists u_ser;
create table u_stock (sku text primary key, name text not null, qty int not null default 0, price numeric(8,2),
                      note text, check (qty >= 0));
create table u_pair (a int, b text, v int, primary key (a, b));
create table u_mail (id int primary key, email text unique, n int default 7);
create table u_ser (id serial primary key, tag text);
insert into u_stock values ('a1', 'bolt', 100, 0.10, null), ('a2', 'nut', 250, 0.05, 'bulk');

-- one new row and one existing row: RETURNING both, in statement order
insert into u_stock (sku, name, qty) values ('b1', 'washer', 3), ('a1', 'bolt', 5)
  on conflict (sku) do update set qty = u_stock.qty + excluded.qty returning sku, name, qty;
insert into u_stock (sku, name, qty) values ('a2', 'nut', 1), ('c1', 'gear', 2), ('a1', 'x', 1)
  on conflict (sku) do update set qty = excluded.qty, note = 'upd' returning *;
select * from u_stock order by sku;
-- EXCLUDED in every letter case, and a target alias
insert into u_stock (sku, name, qty) values ('a1', 'BOLT', 9) on conflict (sku) do update set qty = EXCLUDED.qty, name = Excluded.Name returning sku, name, qty;
INSERT INTO u_stock (sku, name, qty) VALUES ('a2', 'NUT', 8) ON CONFLICT (sku) DO UPDATE SET qty = EXCLUDED.QTY + 1 RETURNING sku, name, qty;
insert into u_stock as s (sku, name, qty) values ('a2', 'nut', 4) on conflict (sku) do update set qty = s.qty * 2 + excluded.qty returning s.sku, s.qty;
insert into u_stock as s (sku, name, qty) values ('a2', 'nut', 4) on conflict (sku) do update set qty = u_stock.qty returning sku;
-- DO UPDATE … WHERE: rows whose condition is not true are left alone and not returned
insert into u_stock (sku, name, qty) values ('a1', 'bolt', 1000), ('a2', 'nut', 1), ('d1', 'pin', 5)
  on conflict (sku) do update set qty = excluded.qty where excluded.qty > u_stock.qty returning sku, qty;
insert into u_stock (sku, name, qty) values ('a1', 'bolt', 1) on conflict (sku) do update set qty = 0 where false returning sku;
insert into u_stock (sku, name, qty) values ('a1', 'bolt', 1), ('a1', 'bolt', 2) on conflict (sku) do update set qty = 0 where false;
insert into u_stock (sku, name, note) values ('a1', 'bolt', null) on conflict (sku) do update set note = 'w' where u_stock.note is null returning sku, note;
select sku, name, qty, note from u_stock order by sku;
-- the same key twice in one statement
insert into u_stock (sku, name) values ('e1', 'x'), ('e1', 'y') on conflict (sku) do update set name = excluded.name;
insert into u_stock (sku, name) values ('a1', 'x'), ('a1', 'y') on conflict (sku) do update set name = excluded.name;
insert into u_stock (sku, name) values ('e2', 'x'), ('e2', 'y') on conflict (sku) do nothing returning sku, name;
insert into u_stock (sku, name) values ('e3', 'x'), ('e3', 'y') on conflict do nothing returning sku, name;
insert into u_stock (sku, name) values ('e4', 'x'), ('e4', 'y');
select sku, name from u_stock where sku like 'e%' order by sku;
-- DO NOTHING with and without a target; a failing statement writes nothing
insert into u_stock (sku, name) values ('a1', 'dup'), ('f1', 'new') on conflict (sku) do nothing returning sku, name;
insert into u_stock (sku, name) values ('a1', 'dup'), ('f2', 'new') on conflict do nothing returning sku;
insert into u_stock (sku, name, qty) values ('f3', 'ok', 1), ('a1', 'bolt', -5) on conflict (sku) do update set qty = excluded.qty;
insert into u_stock (sku, name, qty) values ('f4', 'ok', 1), ('a1', 'bolt', 1) on conflict (sku) do update set name = null;
select sku, name, qty from u_stock order by sku;
-- conflict targets that match no constraint, unknown columns, unknown constraints
insert into u_stock (sku, name) values ('a1', 'x') on conflict (name) do nothing;
insert into u_stock (sku, name) values ('a1', 'x') on conflict (nosuch) do nothing;
insert into u_stock (sku, name) values ('a1', 'x') on conflict do update set name = 'y';
insert into u_stock (sku, name) values ('a1', 'x') on conflict (sku) do update set nosuch = 1;
insert into u_stock (sku, name) values ('a1', 'x') on conflict on constraint nosuch do nothing;
insert into u_stock (sku, name) values ('a1', 'x') on conflict (sku) do update set name = excluded.nosuch;
-- ON CONSTRAINT by name
insert into u_stock (sku, name, qty) values ('a1', 'bolt', 77) on conflict on constraint u_stock_pkey do update set qty = excluded.qty returning sku, qty;
insert into u_mail values (1, 'a@x', 1), (2, 'b@x', 2);
insert into u_mail values (3, 'a@x', 30) on conflict on constraint u_mail_email_key do update set n = excluded.n returning *;
-- a unique column as the target; a conflict on another constraint is still an error
insert into u_mail values (4, 'b@x', 40), (5, 'c@x', 50) on conflict (email) do update set n = u_mail.n + excluded.n returning id, email, n;
insert into u_mail values (1, 'z@x', 0) on conflict (email) do update set n = 0;
insert into u_mail values (1, 'z@x', 0) on conflict (id) do update set email = excluded.email returning *;
insert into u_mail (id, email) values (6, 'b@x') on conflict (email) do update set n = excluded.n returning id, email, n;
insert into u_mail (id, email) values (7, 'q@x'), (8, 'q@x') on conflict (email) do nothing returning id;
insert into u_mail (id, email) values (9, 'q@x') on conflict (email) do update set n = 1;
insert into u_mail (id, email, n) values (10, null, 1), (11, null, 2) on conflict (email) do update set n = 0 returning id, email, n;
insert into u_mail (id, email, n) values (12, null, 1) on conflict (email) do nothing returning id;
select * from u_mail order by id;
-- composite primary key
insert into u_pair values (1, 'x', 1), (1, 'y', 2), (2, 'x', 3);
insert into u_pair values (1, 'x', 10), (3, 'z', 30), (1, 'y', 20) on conflict (a, b) do update set v = excluded.v + u_pair.v returning *;
insert into u_pair values (1, 'x', 10) on conflict (b, a) do update set v = -1 returning *;
insert into u_pair values (1, 'x', 10) on conflict (a) do nothing;
insert into u_pair values (2, 'x', 5), (2, 'x', 6) on conflict (a, b) do update set v = excluded.v;
select * from u_pair order by a, b;
-- INSERT … SELECT with ON CONFLICT
insert into u_pair select a, b, v * 100 from u_pair where a = 1 on conflict (a, b) do update set v = excluded.v returning a, b, v;
insert into u_pair select a + 10, b, v from u_pair on conflict (a, b) do nothing returning a, b;
select count(*), sum(v) from u_pair;
-- serial keys: DEFAULT values on the insert side, explicit ids conflicting
insert into u_ser (tag) values ('one'), ('two');
insert into u_ser (id, tag) values (1, 'uno'), (5, 'cinco') on conflict (id) do update set tag = excluded.tag || '!' returning *;
select * from u_ser order by id;
-- upserts inside a transaction see earlier statements of it; ROLLBACK undoes them
begin;
insert into u_stock (sku, name, qty) values ('t1', 'tx', 1);
insert into u_stock (sku, name, qty) values ('t1', 'tx', 2), ('t2', 'tx', 3) on conflict (sku) do update set qty = u_stock.qty + excluded.qty returning sku, qty;
update u_stock set qty = 50 where sku = 't2';
insert into u_stock (sku, name, qty) values ('t2', 'tx', 1) on conflict (sku) do update set qty = u_stock.qty + excluded.qty returning sku, qty;
select sku, qty from u_stock where sku like 't%' order by sku;
rollback;
select count(*) from u_stock where sku like 't%';
begin;
insert into u_stock (sku, name, qty) values ('t3', 'tx', 1) on conflict (sku) do nothing;
insert into u_stock (sku, name, qty) values ('t3', 'tx', 2) on conflict (sku) do update set qty = excluded.qty returning qty;
commit;
select sku, qty from u_stock where sku = 't3';
-- RETURNING expressions over the new row and excluded-free columns
insert into u_stock (sku, name, qty, price) values ('a1', 'bolt', 5, 2.50), ('g1', 'new', 1, 1)
  on conflict (sku) do update set price = excluded.price * 2 returning sku, qty * 10 as q10, price, price is null as nop;
select count(*), sum(qty) from u_stock;
-- SET forms: key changes, (a, b) = (x, y), DEFAULT, subqueries, duplicates; WHERE on both rows
drop table if exists x_s;
create table x_s (sku text primary key, name text, qty int default 0, n2 int);
insert into x_s values ('a', 'A', 1, 1), ('b', 'B', 2, 2);
insert into x_s values ('a', 'Z', 5, 5) on conflict (sku) do update set sku = excluded.sku || 'x' returning *;
select * from x_s order by sku;
insert into x_s values ('b', 'Z', 5, 5) on conflict (sku) do update set (name, qty) = (excluded.name, excluded.qty + 1) returning *;
insert into x_s values ('b', 'Y', 6, 6) on conflict (sku) do update set (name, qty) = (excluded.name || '!', 42) returning *;
insert into x_s values ('b', 'Y', 6, 6) on conflict (sku) do update set (name, qty) = (select 'sub', 42) returning *;
update x_s set (name, n2) = ('upd', 9) where sku = 'b' returning *;
insert into x_s values ('b', 'Z', 5, 5) on conflict (sku) do update set qty = 1 returning excluded.qty;
insert into x_s values ('b', 'Z', 5, 5) on conflict (sku) do update set qty = (select max(qty) from x_s) + excluded.qty returning sku, qty;
insert into x_s values ('b', 'Z', 5, 5) on conflict (sku) do update set qty = default returning sku, qty;
insert into x_s values ('q', 'Z', 5, 5) on conflict (sku) where sku > 'a' do nothing returning sku;
insert into x_s (sku) values ('b') on conflict (sku) do update set name = excluded.name, qty = excluded.qty returning *;
insert into x_s values ('b', 'W', 1, 1) on conflict (sku) do update set name = excluded.name where x_s.qty > excluded.qty and excluded.name <> x_s.name returning *;
select * from x_s order by sku;
update x_s set (name, name) = ('a', 'b');
update x_s set (name, qty) = ('a');
insert into x_s values ('b', 'Z', 5, 5) on conflict (sku) do update set qty = 1, qty = 2;
select * from x_s order by sku;
-- SET (a, b) = (SELECT …): uncorrelated, correlated, no row, two rows, in ON CONFLICT
drop table if exists y_s;
drop table if exists y_r;
create table y_s (sku text primary key, name text, qty int default 0);
create table y_r (sku text, label text, n int);
insert into y_s values ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);
insert into y_r values ('a', 'ra', 10), ('b', 'rb', 20), ('b', 'rb2', 21);
update y_s set (name, qty) = (select 'x', 42) where sku = 'a' returning *;
update y_s s set (name, qty) = (select label, n from y_r r where r.sku = s.sku and r.n < 21) returning *;
update y_s s set (name, qty) = (select label, n from y_r r where r.sku = s.sku) returning *;
update y_s set (name, qty) = (select 'x') returning *;
insert into y_s values ('a', 'Q', 5) on conflict (sku) do update set (name, qty) = (select excluded.name || y_s.name, max(n) from y_r) returning *;
select * from y_s order by sku;
"""


@pytest.mark.pg_reference
def test_upsert_matches_postgresql(tmp_path, rem_dsn, pg_dsn):
    path = tmp_path / "upsert.sql"
    path.write_text(CASES)
    n, diffs = run_file(path, rem_dsn, pg_dsn)
    assert n == len(statements(path)) >= 70
    assert not diffs, f"{len(diffs)} of {n} statements differ:\n" + "\n".join(diffs)
