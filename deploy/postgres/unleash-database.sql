-- Unleash keeps its state in its own database on the stack's PostgreSQL server.
CREATE DATABASE unleash OWNER olap;
