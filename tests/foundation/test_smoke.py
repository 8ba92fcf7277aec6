def test_home_page_renders(web):
    response = web.get("/")
    assert response.status_code == 200
    assert "Find your moment of calm" in response.get_data(as_text=True)
