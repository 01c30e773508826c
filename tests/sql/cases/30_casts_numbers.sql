-- Casts and number formats: float infinities in arithmetic, numeric typmods, jsonb numbers with exponents and trailing zeros
select '1.5'::float4::text, 1.1::float4, 0.1::float4 + 0.2::float4, 1e-5::float8, 123456789012::float4, 1.0e20::float8, 'Infinity'::float8 + 1;
select 12.345::numeric(4,2), 0.005::numeric(3,2), -0.005::numeric(3,2), 999.995::numeric(5,2);
select '  12  '::numeric, '1e3'::numeric, '.5'::numeric, '-0'::numeric, 'NaN'::numeric;
select 1.23456789012345678901234567890::numeric * 2, 1::numeric / 7, 2::numeric ^ 0.5, sqrt(2::numeric), exp(1::numeric), ln(2::numeric);
select 10::int2 / 3::int2, 10::int8 % 3, (-7)::numeric % 3, mod(-7.5, 2), div(-7.5, 2);
select 'abc'::varchar(2), 'abc'::char(2), 'a'::char(3)::text || '|', length('a  '::char(3)), 'a '::varchar(5) = 'a';
select true::text, false::varchar, 1::bool, 0::bool, 'yes'::bool::int;
select '2020-01-01'::timestamp::date, '2020-01-01 23:59:59.999999'::timestamp::time, '10:00'::time::interval, '1 day'::interval::text;
select '{1,2,3}'::int[]::text[], array[1.5, 2]::int[], '{"a b", c}'::text[], '{{1,2},{3,4}}'::int[], array[]::int[];
select '{"a": [1, 2.50, true, null]}'::jsonb, '{"b":1, "a":2}'::json, '"str"'::jsonb, 'null'::jsonb, '1e2'::jsonb, '[]'::jsonb;
select 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid::text, '\x0102'::bytea, 'abc'::bytea, length('\x0102'::bytea);
select 42::text::int8 + 1, '42'::int8::float8, 3.99::int8, (-3.5)::int8, 2.5::int4, 3.5::int4;
select 1::oid, '16'::regtype::oid, 'int4'::regtype::text, 23::regtype, 'pg_type'::regclass::oid::int;
select '[1e2, 1.5e1, 1.23e-1, 2E+3, 1.0]'::jsonb, ('{"a": 1e2}'::jsonb->>'a'), '1e400'::jsonb;
select '{"a": 1.50, "b": 2.5e0, "c": 1e-7}'::jsonb ->> 'a', '{"b": 0.1}'::jsonb ->> 'b', '{"c": 1e-7}'::jsonb ->> 'c', '{"d":[3.0]}'::jsonb #>> '{d,0}';
