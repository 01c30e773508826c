-- String functions: to_char PR/EEEE, quote_literal(any), E'' escapes applied once, unknown literals resolve to text overloads
select to_char(1234.5, '9999.99'), to_char(-12, '999'), to_char(0.5, '0.99'), to_char(1234567, '9,999,999'), to_char(12, 'FM999'), to_char(3.14159, 'FM9.00');
select to_char(-0.5, 'S9.9'), to_char(5, '000'), to_char(1234.5678, 'FM9999.999'), to_char(12, '99PR'), to_char(-12, '99PR'), to_char(1e10, '9.99EEEE');
select format('%s|%s', null, 'x'), format('%5s|%-5s|', 'a', 'b'), format('%1$s %1$s', 'r'), format('%%'), concat_ws(',', 1, null, 2.5);
select split_part('a,b,c', ',', -1), split_part('abc', '', 1), strpos('abc', ''), position('' in 'abc'), replace('aaa', 'a', ''), replace('abc', '', 'x');
select ascii(''), chr(8364), repeat('', 5), reverse(''), initcap(''), upper(null);
select string_to_array('a,b,,c', ','), string_to_array('a,b,,c', ',', ''), string_to_array('abc', null), string_to_array('', ','), array_to_string(array['a', null, 'c'], ',', '*');
select regexp_replace('abc', 'b', '\\&\\&'), regexp_replace('aaa', 'a{2}', 'X'), regexp_split_to_array('a, b,c', ',\s*'), 'abc' ~ '^a.c$', 'ABC' ~* 'b', 'a.c' ~ 'a\.c';
select md5(''), length(md5('x')), octet_length('abc'::bytea), encode('\xff00'::bytea, 'base64'), encode('a\b'::bytea, 'escape');
select lpad('hello', 8, 'ab'), rpad('hello', 3), ltrim('  x  '), rtrim('xyxa', 'xy'), btrim('  a  '), trim(trailing 'x' from 'axx');
select quote_ident('select'), quote_ident('a"b'), quote_ident('ok_1'), quote_literal(42), quote_literal(E'a\\b'), quote_nullable(1);
select to_char(12345, '9.9EEEE'), to_char(-0.00123, '9.99EEEE'), to_char(0, '9.9EEEE'), to_char(999, '99PR'), to_char(5, 'FM99PR'), to_char(-5, 'FM99PR'), to_char(-1234.5, '9999.9PR');
select E'a\\b', E'x\ty', E'\x41', E'it\'s', length(E'a\\b');
select length('é'), length('abc'), octet_length('é'), md5('é'), upper('é'), reverse('é1');
