"""Public services (*dịch vụ công*): the procedure catalogue and monthly application figures."""
