"""The kit on other platforms: a Gradescope autograder bundle (`gradescope`), nbgrader's
release, collect and autograde with every cell in the sandbox (`course_chores`,
`sandboxed_cells`), and the crosscheck of nbgrader's scores against the kit's."""
