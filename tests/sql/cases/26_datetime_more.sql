-- Date/time: interval literals keep their whole text, to_char(interval), date_trunc(date) is timestamptz, OVERLAPS
select to_char(interval '1 day 02:03:04', 'HH24:MI:SS'), interval '1 day 02:03:04', interval '1 month 2 days 03:00', date '2020-01-01' + interval '1 month 2 days 03:00';
select interval '-1 day +2 hours', interval '1 year 2 months', interval '1.5 days', interval 'P1D';
select date_trunc('week', date '2020-03-04'), date_trunc('quarter', timestamp '2020-05-15'), date_trunc('hour', timestamptz '2020-01-01 05:30+00');
select (date '2020-01-01', date '2020-02-01') overlaps (date '2020-01-15', date '2020-03-01'), (date '2020-01-01', date '2020-02-01') overlaps (date '2020-02-01', date '2020-03-01');
select (timestamp '2020-01-01', interval '1 day') overlaps (timestamp '2020-01-01 12:00', interval '1 hour'), (date '2020-03-01', date '2020-01-01') overlaps (date '2020-02-01', null::date);
select (date '2020-01-01', null::date) overlaps (date '2020-01-01', date '2020-01-02');
select (null::date, date '2020-01-05') overlaps (date '2020-01-01', date '2020-01-10'), (date '2020-01-01', date '2020-01-01') overlaps (date '2020-01-01', date '2020-01-01');
