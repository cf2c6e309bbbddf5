from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.errors import NotFound
from services.grading.adapters.repository import GradingRepository, StoredGrade


async def get_grade(engine: AsyncEngine, customer_id: str) -> StoredGrade:
    async with engine.connect() as conn:
        grade = await GradingRepository(conn).current_grade(customer_id)
    if grade is None:
        raise NotFound("grade of customer", customer_id)
    return grade
