-- Window functions: ranking, offsets, aggregates over partitions and frames
drop table if exists w_scores;
create table w_scores (id int primary key, team text, player text, pts int, day date);
insert into w_scores values
  (1, 'red', 'ann', 10, '2024-01-01'), (2, 'red', 'bob', 30, '2024-01-02'), (3, 'red', 'cid', 30, '2024-01-03'),
  (4, 'blue', 'dee', 5, '2024-01-01'), (5, 'blue', 'eve', null, '2024-01-02'), (6, 'blue', 'fay', 20, '2024-01-03'),
  (7, 'green', 'gus', 15, '2024-01-01');
select player, row_number() over (order by id) from w_scores order by id;
select player, pts, rank() over (order by pts desc nulls last), dense_rank() over (order by pts desc nulls last) from w_scores order by id;
select team, player, row_number() over (partition by team order by pts desc nulls last, player) from w_scores order by team, 3;
select team, player, pts, sum(pts) over (partition by team) from w_scores order by id;
select player, pts, sum(pts) over (order by id) as running from w_scores order by id;
select player, pts, sum(pts) over (order by pts) from w_scores order by id;
select player, avg(pts) over (partition by team) from w_scores order by id;
select player, count(*) over (), count(pts) over (partition by team) from w_scores order by id;
select player, lag(pts) over (order by id), lead(pts) over (order by id) from w_scores order by id;
select player, lag(pts, 2, -1) over (order by id), lead(player, 1, 'none') over (partition by team order by id) from w_scores order by id;
select player, first_value(player) over (partition by team order by id), last_value(player) over (partition by team order by id) from w_scores order by id;
select player, last_value(player) over (partition by team order by id rows between unbounded preceding and unbounded following) from w_scores order by id;
select player, sum(pts) over (order by id rows between 1 preceding and 1 following) from w_scores order by id;
select player, sum(pts) over (order by id rows between current row and unbounded following) from w_scores order by id;
select player, max(pts) over (partition by team order by id rows 1 preceding) from w_scores order by id;
select player, ntile(3) over (order by id) from w_scores order by id;
select player, percent_rank() over (order by pts nulls first), cume_dist() over (order by pts nulls first) from w_scores order by id;
select team, sum(pts), rank() over (order by sum(pts) desc nulls last) from w_scores group by team order by team;
select * from (select player, row_number() over (partition by team order by pts desc nulls last) as rn from w_scores) t where rn = 1 order by player;
select player, pts - avg(pts) over (partition by team) as diff from w_scores where pts is not null order by id;
select player, nth_value(player, 2) over (order by id rows between unbounded preceding and unbounded following) from w_scores order by id;
select day, sum(pts) over w, count(*) over w from w_scores window w as (partition by day) order by id;
select player, row_number() over () is not null from w_scores order by id;
select player from w_scores where row_number() over () > 1;
