-- backend_pid.sql: the server process serving this transaction. Read again at the end of
-- collection for Facts.connection_path.backend_pids: a transaction pooler hands each transaction
-- to whichever server connection is free (CDC312).
SELECT pg_backend_pid() AS backend_pid
