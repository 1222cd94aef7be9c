from accounts.collation import sort_key


def test_it_orders_names_the_vietnamese_way():
    names = ["Trần Văn Anh", "Đỗ Minh Đức", "Nguyễn Văn Dũng", "Lê Thị Ánh", "Phạm Văn An", "Bùi Thị Ấn", "Ngô Ăn"]
    # By given name first; a ă â, d đ in the alphabet's order; a tone orders same-letter names.
    assert sorted(names, key=sort_key) == [
        "Phạm Văn An",
        "Trần Văn Anh",
        "Lê Thị Ánh",
        "Ngô Ăn",
        "Bùi Thị Ấn",
        "Nguyễn Văn Dũng",
        "Đỗ Minh Đức",
    ]


def test_it_groups_each_given_name_before_looking_at_the_family_name():
    names = ["Lê Thị Anh", "Đặng Thị Ánh", "Đặng Thị Anh", "Bùi Thị Ảnh", "Vũ Văn Án", "Hà Văn An"]
    assert sorted(names, key=sort_key) == [
        "Hà Văn An",
        "Vũ Văn Án",
        "Đặng Thị Anh",
        "Lê Thị Anh",
        "Bùi Thị Ảnh",
        "Đặng Thị Ánh",
    ]


def test_it_makes_keys_every_database_collation_sorts_alike():
    key = sort_key("Đặng Thị Ánh 2 ‘x’")
    assert key.isascii() and key.isalpha() and key.islower()
