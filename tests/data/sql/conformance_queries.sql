-- Every distinct "sql" query of /work/shared/conformance/doris/cases.json, one per line.
SELECT * FROM test_csv_with_enclose_and_escape ORDER BY k1, k2
select * from test_csv_with_double_quotes order by k1, k2
SELECT * FROM test_single_quotes order by name
SELECT * FROM test_csv_special_seperator ORDER BY id
select * from test_csv_split_line1
select * from test_csv_split_line2 order by a
select * from test_csv_split_line3 order by user_id
select * from test_csv_split_line3 where tag_value="" order by user_id
select * from test_csv_with_skip_lines order by k1, k2
select * from test_stream_load_strict_mode_and_filter_ratio order by 1
select * from test_stream_load_cast
select * from test_load_with_decimal order by id
select count(*) from test_2pc_table
select * from test_json_load order by id
select * from tbl_test_load_json_with_jsonpath order by k1
select id, name from test_http_stream_current_timestamp
select * from test_http_stream_change_column_order
select * from test_http_stream_function
select * from test_http_stream_default_value
select * from test_http_stream_column_type
