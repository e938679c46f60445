"""DTI: the provincial digital transformation index as data, its scoring, ranking and plans."""
