"""Reading what students handed in, as hostile input: folders, archives and LMS bulk
downloads (`submissions`, `archives`, `lms`), notebooks turned into a package in a child
process (`notebooks`), and private staged copies for the sandbox (`staging`)."""
