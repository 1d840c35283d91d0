-- Application services' transactions (Synapse's application_services_state and
-- application_services_txns). A transaction is stored, with the exact body it sends, before it is sent,
-- and deleted once the service acknowledged it: after a crash the same txn_id goes out again with the
-- same events, which the service de-duplicates. The positions say which events and receipts are already
-- in a transaction (sent or waiting), so nothing is put in two transactions and nothing is skipped.
CREATE TABLE appservice_state (
    as_id               TEXT   NOT NULL PRIMARY KEY,
    last_txn_id         BIGINT NOT NULL,
    events_stream_id    BIGINT NOT NULL,
    receipts_stream_id  BIGINT NOT NULL
);

CREATE TABLE appservice_txns (
    as_id   TEXT   NOT NULL,
    txn_id  BIGINT NOT NULL,
    body    TEXT   NOT NULL,
    PRIMARY KEY (as_id, txn_id)
);
