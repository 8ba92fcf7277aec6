"""The customer's first pages speak Spanish to a Spanish browser: home, search and a venue page."""

from __future__ import annotations

from app.platform.extensions import db

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def page_text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_home_page_speaks_spanish(client):
    spanish = page_text(client.get("/", headers=SPANISH))
    english = page_text(client.get("/", headers=ENGLISH))
    assert "Encuentra tu momento de calma" in spanish and "Find your moment of calm" not in spanish
    assert "Explora por categoría" in spanish and "Browse by category" not in spanish
    assert "Iniciar sesión" in spanish and "Sign in<" not in spanish  # the navbar too
    assert "Find your moment of calm" in english and "Encuentra tu momento de calma" not in english


def test_the_search_page_speaks_spanish(client):
    spanish = page_text(client.get("/search", headers=SPANISH))
    assert "Tratamiento, centro o lugar" in spanish and "Treatment, venue or place" not in spanish
    assert "Filtros" in spanish and ">Filters<" not in spanish
    assert "Abierto ahora" in spanish and "Open now" not in spanish
    assert 'lang="es"' in spanish


def test_a_venue_page_speaks_spanish(client, make_venue):
    venue = make_venue()
    venue.rating, venue.review_count = 4.6, 12
    db.session.flush()
    spanish = page_text(client.get(f"/venues/{venue.slug}", headers=SPANISH))
    assert "Valoración de 4.6 sobre 5 en 12 reseñas" in spanish  # a plural form
    assert "Reservar ahora" in spanish and "Book now" not in spanish
    assert "Ubicación y contacto" in spanish and "Location and contact" not in spanish
    assert "Preguntas y respuestas" in spanish
    english = page_text(client.get(f"/venues/{venue.slug}", headers=ENGLISH))
    assert "Rated 4.6 out of 5 from 12 reviews" in english and "Book now" in english


def test_the_venue_dashboard_speaks_spanish(web, make_venue, provider):
    make_venue(status="draft")
    web.sign_in_as(provider)
    pages = {
        "/provider": ("Antes de enviar", "Before you submit"),
        "/provider/venue/basics": ("Datos de contacto", "Contact details"),
        "/provider/venue/location": ("Dónde encontrarte", "Where to find you"),
        "/provider/venue/hours": ("Añadir un cierre", "Add a closure"),
        "/provider/venue/services": ("Añadir un servicio", "Add a service"),
        "/provider/venue/team": ("Tu equipo", "Your team"),
        "/provider/venue/faqs": ("Preguntas frecuentes", "Frequently asked questions"),
        "/provider/venue/images": ("Añadir una foto", "Add a photo"),
        "/provider/venue/review": ("Revisa tu centro tal como lo verán", "Check your listing as customers"),
    }
    for path, (spanish, english) in pages.items():
        page = page_text(web.get(path, headers=SPANISH))
        assert spanish in page and english not in page, path


def test_the_admin_pages_speak_spanish(web, make_venue, admin):
    venue = make_venue(status="pending_review")
    web.sign_in_as(admin)
    pages = {
        "/admin/": ("Pedidos recientes", "Recent orders"),
        "/admin/venues": ("Colas de revisión", "Review queues"),
        f"/admin/venues/{venue.id}": ("Revisar este centro", "Review this listing"),
        "/admin/users": ("Todos los roles", "All roles"),
        "/admin/reviews": ("Busca por centro o por palabras de la reseña", "Search by venue or words"),
        "/admin/audit": ("Registro de auditoría", "Audit log"),
    }
    for path, (spanish, english) in pages.items():
        page = page_text(web.get(path, headers=SPANISH))
        assert spanish in page and english not in page, path
