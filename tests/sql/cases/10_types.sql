-- Types: dates, timestamps, intervals, uuid, json/jsonb, arrays, bytea, booleans in tables
drop table if exists y_events;
create table y_events (id int primary key, at timestamptz, day date, ts timestamp, dur interval, ref uuid, data jsonb, tags text[], raw bytea, ok bool, ratio real, big bigint, small smallint);
insert into y_events values
  (1, '2024-03-01 10:00:00+00', '2024-03-01', '2024-03-01 10:00:00', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"lang": "en", "n": 1, "tags": ["x", "y"], "nested": {"k": true}}', array['red', 'blue'], '\x0102', true, 0.5, 9000000000, 7),
  (2, '2024-03-02 23:30:00+00', '2024-03-02', '2024-03-02 23:30:00', '30 minutes', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', '{"lang": "fr", "n": 2.5, "tags": []}', array['green'], null, false, 1.25, -1, -3),
  (3, null, null, null, null, null, null, null, null, null, null, null, null),
  (4, '2023-12-31 00:00:00+00', '2023-12-31', '2023-12-31 00:00:00', '-1 month', 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', '[1, 2, {"a": null}]', '{}', '\x', true, 2, 0, 0);
select id, at, day, ts, dur, ref, data, tags, raw, ok, ratio, big, small from y_events order by id;
select id from y_events where at > '2024-03-01' order by id;
select id from y_events where day = '2024-03-02';
select id, day - 1, day + 30, ts + interval '1 hour', at - interval '1 day' from y_events where id < 3 order by id;
select id, date_trunc('month', ts), extract(hour from ts), extract(dow from day) from y_events where id in (1, 2) order by id;
select id from y_events where ref = 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12';
select id, data -> 'lang', data ->> 'lang', data -> 'n', data -> 'tags' -> 0, data #> '{nested,k}', data #>> '{nested,k}' from y_events where id < 3 order by id;
select id from y_events where data ->> 'lang' = 'en';
select id from y_events where data @> '{"lang": "fr"}';
select id from y_events where data ? 'nested';
select id, data -> 1, data -> 2 -> 'a', data ->> 5 from y_events where id = 4;
select id, tags, tags[1], array_length(tags, 1), cardinality(tags) from y_events order by id;
select id from y_events where 'red' = any(tags);
select id from y_events where tags @> array['green'];
select id, ok, not ok, ratio * 2, big + 1, small * 2 from y_events order by id;
select count(*) filter (where ok), count(*) filter (where not ok) from y_events;
select id, raw, length(raw) from y_events order by id;
select '{"b": 1, "a": [1, 2]}'::jsonb, '{"b": 1, "a": [1, 2]}'::json, '[]'::jsonb, 'null'::jsonb, '"s"'::jsonb;
select '{"a": {"b": 2}}'::jsonb -> 'a' ->> 'b', '{"a": 1}'::jsonb ? 'a', '{"a": 1}'::jsonb @> '{"a": 1}';
select jsonb_build_object('k', 1, 'v', 'x'), jsonb_typeof('1'::jsonb), jsonb_array_length('[1,2,3]');
select interval '1 day' + interval '3 hours', interval '2 hours' * 2, date '2024-02-28' + interval '1 day', timestamp '2024-01-31 12:00' + interval '1 month';
select date '2024-03-01' - date '2024-02-01', timestamp '2024-03-01 12:00' - timestamp '2024-03-01 10:30';
select '2024-02-30'::date;
select 'not-a-uuid'::uuid;
select '{bad json'::jsonb;
select 32767::smallint + 1::smallint;
select 9223372036854775807 + 1;
select small + 100000 from y_events where id = 1;
