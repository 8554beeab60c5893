//! Ingestion of catalogue files, directories and Location entities (OWNER: ingest helper).
