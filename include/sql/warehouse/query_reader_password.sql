-- The reader's password, as a SCRAM verifier computed on the client (plugins/datalake/query.py).
ALTER ROLE datalake_reader PASSWORD {verifier};
