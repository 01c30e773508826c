-- Expression gaps: date_part, DISTINCT aggregate order, row IS [NOT] NULL, NaN comparisons, SIMILAR TO, BETWEEN SYMMETRIC,
-- substring(… from pattern), to_hex/make_time/justify_*/factorial/decode, bit_and/bit_or, json[b]_object_agg, ?| ?&
select date_part('year', date '2020-01-01'), date_part('epoch', interval '1 day'), pg_catalog.date_part('month', timestamp '2020-03-04'), date_part('hour', timestamptz '2020-01-01 05:00+00');
select extract(year from date '2020-01-01');
select array_agg(distinct x % 2), array_agg(distinct x % 3 order by x % 3 desc), string_agg(distinct (x % 2)::text, ',') from generate_series(1, 5) x;
select (1, 'a') < (1, 'b'), row(1, 2) = row(1, 2), (1, null) is null, (null, null) is null, (1, null) is not null, (1, 2) is not null, not ((1, null) is null);
select now() = transaction_timestamp(), now() = current_timestamp;
select 'NaN'::numeric = 'NaN'::numeric, 'nan'::float8 = 'nan'::float8, 'NaN'::numeric > 1e100, 1 < 'nan'::float8, 'NaN'::numeric <> 'NaN'::numeric;
select x from (values (1.5::numeric), ('NaN'), (2)) v(x) where x > 1.6;
select 'abc' similar to 'a%', 'abc' not similar to '(a|b)%c', 'abc' similar to 'a_c', 'a%c' similar to 'a#%c' escape '#', 'abc' similar to 'b%', null similar to 'a', 'aaa' similar to 'a{2,3}', 'ab' similar to '[a-c]+';
select 5 between symmetric 10 and 1, 5 not between symmetric 1 and 3, 5 between symmetric 1 and 10, null between symmetric 1 and 2;
select substring('abc123' from '[0-9]+'), substring('abc123def' from 'c(\d)'), substring('abc' from 'x'), substring('abcdef' from 2), substring('abcdef' from 2 for 3);
select to_hex(255), to_hex(-1), make_time(1, 2, 3.5), justify_days(interval '35 days'), justify_hours(interval '27 hours'), justify_interval(interval '1 mon -1 day'), factorial(5);
select decode('616263', 'hex'), decode('YWJj', 'base64');
select bit_and(x), bit_or(x) from generate_series(1, 4) x;
select json_object_agg(x, x * 2), jsonb_object_agg(x::text, x) from generate_series(1, 3) x;
select '{"a":1}'::jsonb ? 'a', '{"a":1}'::jsonb ?| array['b','a'], '{"a":1}'::jsonb ?& array['a','b'], '["a","b"]'::jsonb ?& array['a','b'];
-- set-returning functions take their declared argument types; OUT column names; whole-row references
select jsonb_typeof('1'), jsonb_array_length('[1,2]'), jsonb_object_keys('{"a":1,"b":2}');
select * from jsonb_each('{"a":1,"b":"x"}');
select * from jsonb_each_text('{"a":1,"b":"x"}');
select * from jsonb_array_elements('[1,{"a":2}]');
select jsonb_array_elements_text('["a","b"]');
select * from json_each('{"a":[1]}');
select key, value from jsonb_each('{"k":{"n":1}}') order by key;
select * from regexp_matches('a1b2', '[0-9]', 'g');
select * from jsonb_array_elements('[1]') as t; select * from generate_series(1,2) as g; select * from pg_get_keywords() limit 1; select * from jsonb_object_keys('{"a":1}') k;
select row_to_json(t) from (select 1 as a, 'x' as b) t;
select to_json(t), to_jsonb(t) from (select 1 as a, null::text as "B c") t;
select t from (select 1 as a, 'x' as b) t;
select t.* from (select 1 as a) t where t is not null;
select (select row_to_json(s) from (select o.a as z) s) from (select 5 as a) o;
drop table if exists wr;
create table wr (id int primary key, name text, at date);
insert into wr values (1, 'n', '2020-01-02');
select row_to_json(wr), to_jsonb(w) from wr, wr as w;
drop table wr;
