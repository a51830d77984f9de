"""From stored results to every output: the typed result per student (`result`) and the one
step that writes them all (`steps.publish`): results.json, feedback, gradebook, report,
course policy, grade log, Canvas and Moodle files, the console summary."""
