-- One sequence per stream, so that every process hands out unique positions. A stream not listed
-- here gets its sequence ("<stream>_stream_seq") on first use.
CREATE SEQUENCE events_stream_seq;
CREATE SEQUENCE account_data_stream_seq;
