-- Row comparisons field by field (type resolution, NULLs, unequal lengths), numeric subscripts, sum(unknown)
select sum('a');
select (array[1, 2])[1.5], (array[10, 20, 30])[2.5::float8], (array[[1,2],[3,4]])[1.6][1];
select row(1, 2) < row(1, 'a');
select (1, 2) = (1, 2, 3);
select (1, 2) < (1, 3), (1, 2) <= (1, 2), (2, 1) > (1, 9), (1, null) = (1, 2), (1, null) = (2, 2), (1, null) <> (2, 2), (1, null) < (2, 0), (1, null) < (1, 5), row(1, 'a') = row(1, 'a'), (1, '2') = (1, 2);
select x from (values (1, 'a'), (2, 'b')) v(x, y) where (x, y) >= (1, 'b') order by x;
select (1, 2) in ((1, 2), (3, 4)), (1, 2) not in ((3, 4));
