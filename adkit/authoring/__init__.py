"""For instructors: the reference's solution regions (`regions`), and what is generated from
them: the skeleton (`skeleton`, `make skeleton`), its README (`student_readme`) and the
nbgrader notebooks (`course`, `make course-generate`)."""
