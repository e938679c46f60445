"""Data standards (Table Schema documents) and shared code lists (*danh mục dùng chung*)."""
