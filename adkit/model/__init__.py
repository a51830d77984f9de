"""What every other package shares, the student's worker included: the table of primitives,
programs (random functions as data), each scenario kind's request and answer, the rubric and
its task list, and safe text (`text`: escaping and capping anything a student wrote)."""
