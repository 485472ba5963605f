-- Who and where this session is: the pipeline's user as Redshift knows it (IAMR:etl for an IAM
-- role on Serverless, whatever the connection string said) and the database it is in.
SELECT current_user, current_database();
